/* Tabular Q-learning as a plain C loop: the reference that bench_tutorial.py times the numba
 * kernel against (compiled there with `cc -O2`, called through ctypes on the same arrays).
 *
 * It does the work the kernel's Q-learning path does on every step, with the same generator
 * and in the same order of draws, so that for one seed both end with the same Q-table:
 *   - epsilon-greedy: one xoshiro256** draw against epsilon, a second for a random action;
 *     otherwise argmax over the row, ties broken uniformly at random (one draw, only on a tie);
 *   - the env step from the compiled arrays (CompiledEnv: cum_prob, next_state, reward,
 *     terminated, n_outcomes, cum_initial), drawing an outcome only when (s, a) has several;
 *   - the TD update Q(S,A) += alpha * (R + gamma * max_a Q(S',a) - Q(S,A)), no bootstrap on
 *     termination;
 *   - per episode: return, length and penalties written out, a start state drawn.
 * What it leaves out is what the kernel carries for generality, not for this task: schedules,
 * time limits, the other learners, the last step's record and carrying state between calls.
 */
#include <stdint.h>

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** (Blackman & Vigna): a double on [0, 1) with 53 random bits. */
static inline double uniform(uint64_t s[4]) {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return (double)(result >> 11) * (1.0 / 9007199254740992.0);
}

/* The first index whose cumulative probability exceeds u (binary search). */
static inline int64_t first_above(const double *cum, int64_t n, double u) {
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* argmax_a row[a], ties broken uniformly at random with one draw, taken only on a tie. */
static inline int64_t greedy(const double *row, int64_t n, uint64_t rng[4]) {
    double best = row[0];
    int64_t first = 0, count = 1;
    for (int64_t a = 1; a < n; a++) {
        double v = row[a];
        if (v > best) {
            best = v;
            first = a;
            count = 1;
        } else if (v == best) {
            count++;
        }
    }
    if (count == 1)
        return first;
    int64_t k = (int64_t)(uniform(rng) * (double)count);
    for (int64_t a = first; a < n; a++)
        if (row[a] == best && k-- == 0)
            return a;
    return first;
}

static inline double row_max(const double *row, int64_t n) {
    double best = row[0];
    for (int64_t a = 1; a < n; a++)
        if (row[a] > best)
            best = row[a];
    return best;
}

/* Train for `episodes` episodes; returns the total number of steps. */
int64_t q_learning(const double *cum_prob, const int64_t *next_state, const double *reward,
                   const uint8_t *terminated, const int64_t *n_outcomes,
                   const double *cum_initial, int64_t n_states, int64_t n_actions,
                   int64_t k_max, double *q, uint64_t *rng_state, int64_t episodes,
                   double alpha, double gamma, double epsilon, double penalty_reward,
                   double *out_return, int64_t *out_length, int64_t *out_penalties) {
    uint64_t rng[4] = {rng_state[0], rng_state[1], rng_state[2], rng_state[3]};
    int64_t total = 0;
    int64_t s = first_above(cum_initial, n_states, uniform(rng));
    for (int64_t episode = 0; episode < episodes; episode++) {
        int64_t t = 0, penalties = 0;
        double episode_return = 0.0;
        for (;;) {
            int64_t a;
            if (epsilon > 0.0 && uniform(rng) < epsilon)
                a = (int64_t)(uniform(rng) * (double)n_actions);
            else
                a = greedy(q + s * n_actions, n_actions, rng);
            int64_t sa = s * n_actions + a;
            int64_t k = 0;
            if (n_outcomes[sa] > 1)
                k = first_above(cum_prob + sa * k_max, n_outcomes[sa], uniform(rng));
            int64_t s_next = next_state[sa * k_max + k];
            double r = reward[sa * k_max + k];
            int term = terminated[sa * k_max + k];
            double bootstrap = term ? 0.0 : row_max(q + s_next * n_actions, n_actions);
            double td_target = r + gamma * bootstrap;
            q[sa] = q[sa] + alpha * (td_target - q[sa]);
            episode_return += r;
            if (r <= penalty_reward)
                penalties++;
            t++;
            if (term)
                break;
            s = s_next;
        }
        out_return[episode] = episode_return;
        out_length[episode] = t;
        out_penalties[episode] = penalties;
        total += t;
        s = first_above(cum_initial, n_states, uniform(rng));
    }
    for (int i = 0; i < 4; i++)
        rng_state[i] = rng[i];
    return total;
}
