"""DQN as numba ``nogil`` kernels: the MLP (forward, backward, Adam, Huber loss, gradient-norm
clipping), the replay ring, the target network and the envs it runs on, stepped in the kernel.

The network's parameters are one flat float64 vector (each layer's weights, ``(n_in, n_out)``
row-major, then its biases) so Adam, the target's update, copying and saving are whole-vector
operations. A discrete env's state goes in as an index (a one-hot input's first layer is the row
of its state), so Taxi's 500 states cost no more than CartPole's 4 numbers.

Everything that must survive between calls is in the arrays passed in (cursor, fcursor, rng, the
env's state, the buffer, the optimizer's moments), so one call of N steps and N calls of one step
give bitwise-identical results.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from tui_taxi.core.episodes import SUCCESS, TERMINATED, TRUNCATED
from tui_taxi.core.rng import first_above, sample_outcome, uniform

# The env kinds: CartPole and the compiled discrete envs are stepped in the kernel; any other
# env with a Box observation (GYM) is stepped by Gymnasium in Python, between kernel calls.
CARTPOLE, DISCRETE, GYM = 0, 1, 2

# cursor: int64 state carried between calls
# (C_IN_STEP: a step is taken but not finished, as when a call's update budget runs out in its
# training round; C_ROUND_LEFT: the gradient steps it still owes (the record says the rest:
# whether it ends with a target update, or the episode); C_RESET_SEED: a GYM env's reset is
# due, with this seed, or -1)
(
    C_T,
    C_EPISODE,
    C_TOTAL,
    C_FILL,
    C_POS,
    C_SYNCS,
    C_LAST_SYNC,
    C_UPDATES,
    C_ADAM_T,
    C_STATE,
    C_EP_UPDATES,
    C_PENDING,
    C_PENDING_ACTION,
    C_IN_STEP,
    C_ROUND_LEFT,
    C_RESET_SEED,
) = range(16)
N_CURSOR = 16
F_RETURN, F_EP_LOSS = range(2)
N_FCURSOR = 2
# params (float64) and iparams (int64)
(
    P_GAMMA,
    P_LR,
    P_TAU,
    P_START_E,
    P_END_E,
    P_EXPLORE_STEPS,
    P_EPSILON,
    P_MAX_NORM,
    P_SUCCESS,
    P_PER_ALPHA,
    P_PER_BETA0,
    P_PER_EPS,
    P_BUDGET,
) = range(13)
N_PARAMS = 13
(
    I_KIND,
    I_BATCH,
    I_LEARNING_STARTS,
    I_TRAIN_FREQ,
    I_GRAD_STEPS,
    I_TARGET_FREQ,
    I_TIME_LIMIT,
    I_DOUBLE,
    I_LEARN,
    I_N_ACTIONS,
    I_N_STEP,
    I_PRIORITIZED,
) = range(12)
N_IPARAMS = 12
MAX_N_STEP = 10  # the longest n-step return (the record holds its rewards)
#: The last step and the last gradient update's first sampled transition, named once.
RECORD_FIELDS = (
    "state",
    "action",
    "reward",
    "next_state",
    "terminated",
    "truncated",
    "explored",
    "updated",
    "target_synced",
    "q_pred",
    "bootstrap",
    "td_target",
    "td_error",
    "loss",
    "sample_action",
    "sample_reward",
    "sample_terminated",
    "epsilon",
    "learning_rate",
    "gamma",
    "episode",
    "t",
    "sample_steps",
    "sample_discount",
    "sample_priority",
    "sample_probability",
    "sample_weight",
)
#: After the named fields: the sample's rewards, one per step of its n-step return.
R_SAMPLE_REWARDS = len(RECORD_FIELDS)
N_RECORD = R_SAMPLE_REWARDS + MAX_N_STEP
(
    R_STATE,
    R_ACTION,
    R_REWARD,
    R_NEXT_STATE,
    R_TERMINATED,
    R_TRUNCATED,
    R_EXPLORED,
    R_UPDATED,
    R_SYNCED,
    R_Q_PRED,
    R_BOOTSTRAP,
    R_TD_TARGET,
    R_TD_ERROR,
    R_LOSS,
    R_SAMPLE_ACTION,
    R_SAMPLE_REWARD,
    R_SAMPLE_TERMINATED,
    R_EPSILON,
    R_LR,
    R_GAMMA,
    R_EPISODE,
    R_T,
    R_SAMPLE_STEPS,
    R_SAMPLE_DISCOUNT,
    R_SAMPLE_PRIORITY,
    R_SAMPLE_PROBABILITY,
    R_SAMPLE_WEIGHT,
) = range(R_SAMPLE_REWARDS)

ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8
# Gymnasium's CartPole (classic_control/cartpole.py), Euler integration
GRAVITY, MASSCART, MASSPOLE, LENGTH, FORCE_MAG, TAU = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
TOTAL_MASS = MASSPOLE + MASSCART
POLEMASS_LENGTH = MASSPOLE * LENGTH
X_THRESHOLD = 2.4
THETA_THRESHOLD = 12 * 2 * math.pi / 360

#: The network's kernels run in IEEE arithmetic: no fastmath. With ``reassoc`` and ``contract``
#: LLVM may reorder sums and fuse multiply-adds differently in a fresh compile and in code
#: loaded from numba's cache, so a seeded run ended with other weights depending on the cache.
#: What speed they gave is won back by writing the order down: ``fma`` where a multiply-add
#: is meant, eight partial sums where a dot product is (``_dot``), one division in Adam.
_FAST = {"nogil": True, "cache": True}


def layout(sizes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(w_off, b_off, a_off, n_params) for layer sizes (input, hidden..., output)."""
    n = len(sizes) - 1
    w_off, b_off = np.zeros(n, np.int64), np.zeros(n, np.int64)
    pos = 0
    for layer in range(n):
        w_off[layer] = pos
        pos += sizes[layer] * sizes[layer + 1]
        b_off[layer] = pos
        pos += sizes[layer + 1]
    a_off = np.zeros(n + 2, np.int64)
    a_off[1:] = np.cumsum(sizes)
    return w_off, b_off, a_off, pos


def init_params(sizes: tuple[int, ...], rng: np.ndarray, index_input: bool) -> np.ndarray:
    """PyTorch's ``nn.Linear`` initialisation, which Stable-Baselines3's and CleanRL's DQNs
    keep: each layer's weights and biases uniform in +-1/sqrt(fan_in), drawn from the explicit
    generator. (A one-hot input's fan-in is its number of states, as a Linear layer over the
    one-hot vector has. The He-uniform weights used before, 2.45 times wider and with zero
    biases, needed about twice the samples to solve CartPole: 57,500 steps median against 31,250.)"""
    w_off, b_off, _, n_params = layout(sizes)
    theta = np.zeros(n_params)
    for layer in range(len(sizes) - 1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        bound = 1.0 / math.sqrt(n_in)
        _fill_uniform(theta[w_off[layer] : w_off[layer] + n_in * n_out], rng, bound)
        _fill_uniform(theta[b_off[layer] : b_off[layer] + n_out], rng, bound)
    return theta


@njit(nogil=True, cache=True)
def _fill_uniform(block, rng, bound):
    for i in range(block.shape[0]):
        block[i] = (2.0 * uniform(rng) - 1.0) * bound


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c rounded once (IEEE 754's fused multiply-add, LLVM's ``llvm.fma``): the same
    number whether the loop around it is vectorized or not, and one instruction on a CPU with
    FMA (x86-64 since 2013, every ARM64; elsewhere a slower call, with the same result)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return sig, codegen


@njit(**_FAST)
def _dot(x, y):
    """x . y in eight interleaved partial sums, added in a fixed order: the order is written
    here, not left to the compiler (see _FAST), and LLVM still turns the lanes into SIMD."""
    n = x.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    whole = n - n % 8
    for k in range(0, whole, 8):
        s0 = fma(x[k], y[k], s0)
        s1 = fma(x[k + 1], y[k + 1], s1)
        s2 = fma(x[k + 2], y[k + 2], s2)
        s3 = fma(x[k + 3], y[k + 3], s3)
        s4 = fma(x[k + 4], y[k + 4], s4)
        s5 = fma(x[k + 5], y[k + 5], s5)
        s6 = fma(x[k + 6], y[k + 6], s6)
        s7 = fma(x[k + 7], y[k + 7], s7)
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for k in range(whole, n):
        total = fma(x[k], y[k], total)
    return total


# -- the network ------------------------------------------------------------------------------
@njit(**_FAST)
def forward(theta, sizes, w_off, b_off, a_off, index_input, dueling, x, acts):
    """Activations of every layer into ``acts`` (the input, then each layer's output); the
    Q-values are ``acts[a_off[L] : a_off[L] + n_actions]`` (``dueling``: the last layer holds
    A(s, ·) then V(s), made into Q = V + A - mean(A) in place, V after it). (Each layer works on views: plain
    2-D indexing is what lets LLVM vectorize the inner loops, four times faster than offsets.)"""
    n_layers = sizes.shape[0] - 1
    for layer in range(n_layers):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        w0, b0 = w_off[layer], b_off[layer]
        out = acts[a_off[layer + 1] : a_off[layer + 1] + n_out]
        weights = theta[w0 : w0 + n_in * n_out].reshape((n_in, n_out))
        bias = theta[b0 : b0 + n_out]
        for j in range(n_out):
            out[j] = bias[j]
        if layer == 0 and index_input:
            s = np.int64(x[0])
            for j in range(n_out):
                out[j] += weights[s, j]
        else:
            inp = acts[a_off[layer] : a_off[layer] + n_in]
            if layer == 0:
                for i in range(n_in):
                    inp[i] = x[i]
            for i in range(n_in):
                xi = inp[i]
                if xi != 0.0:
                    for j in range(n_out):
                        out[j] = fma(xi, weights[i, j], out[j])
        if layer < n_layers - 1:
            for j in range(n_out):
                if out[j] < 0.0:
                    out[j] = 0.0
    if dueling:  # the last layer is A(s, ·) then V(s): Q = V + A - mean(A), V kept after Q
        top, n_actions = a_off[n_layers], sizes[n_layers] - 1
        mean = 0.0
        for k in range(n_actions):
            mean += acts[top + k]
        mean /= n_actions
        value = acts[top + n_actions]
        for k in range(n_actions):
            acts[top + k] = value + acts[top + k] - mean


@njit(**_FAST)
def backward(
    theta, grad, sizes, w_off, b_off, a_off, index_input, dueling, x, acts, deltas, action, dq
):
    """Add to ``grad`` the gradient of ``dq * Q(x, action)`` (the activations of ``x`` must be
    in ``acts``); ``deltas`` is scratch of the same layout."""
    n_layers = sizes.shape[0] - 1
    top = a_off[n_layers]
    for k in range(sizes[n_layers]):
        deltas[top + k] = 0.0
    if dueling:  # d Q(a) / d A(k) = [k = a] - 1/n, d Q(a) / d V = 1
        n_actions = sizes[n_layers] - 1
        for k in range(n_actions):
            deltas[top + k] = -dq / n_actions
        deltas[top + n_actions] = dq
        deltas[top + action] += dq
    else:
        deltas[top + action] = dq
    for layer in range(n_layers - 1, -1, -1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        w0, b0 = w_off[layer], b_off[layer]
        delta = deltas[a_off[layer + 1] : a_off[layer + 1] + n_out]
        weights = theta[w0 : w0 + n_in * n_out].reshape((n_in, n_out))
        g_weights = grad[w0 : w0 + n_in * n_out].reshape((n_in, n_out))
        g_bias = grad[b0 : b0 + n_out]
        for j in range(n_out):
            g_bias[j] += delta[j]
        if layer == 0 and index_input:
            s = np.int64(x[0])
            for j in range(n_out):
                g_weights[s, j] += delta[j]
            break
        inp = acts[a_off[layer] : a_off[layer] + n_in]
        below = deltas[a_off[layer] : a_off[layer] + n_in]
        for i in range(n_in):
            xi = inp[i]
            if xi == 0.0:  # adds nothing, and (a ReLU's output) passes nothing down
                if layer > 0:
                    below[i] = 0.0
                continue
            if layer == 0:
                for j in range(n_out):
                    g_weights[i, j] = fma(xi, delta[j], g_weights[i, j])
                continue
            # the weight's gradient and what passes down through the ReLU that made this input
            # (xi > 0 here), in one pass: eight partial sums, added in a fixed order (see _dot)
            w_row, g_row = weights[i], g_weights[i]
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
            whole = n_out - n_out % 8
            for j in range(0, whole, 8):
                g_row[j] = fma(xi, delta[j], g_row[j])
                g_row[j + 1] = fma(xi, delta[j + 1], g_row[j + 1])
                g_row[j + 2] = fma(xi, delta[j + 2], g_row[j + 2])
                g_row[j + 3] = fma(xi, delta[j + 3], g_row[j + 3])
                g_row[j + 4] = fma(xi, delta[j + 4], g_row[j + 4])
                g_row[j + 5] = fma(xi, delta[j + 5], g_row[j + 5])
                g_row[j + 6] = fma(xi, delta[j + 6], g_row[j + 6])
                g_row[j + 7] = fma(xi, delta[j + 7], g_row[j + 7])
                s0 = fma(w_row[j], delta[j], s0)
                s1 = fma(w_row[j + 1], delta[j + 1], s1)
                s2 = fma(w_row[j + 2], delta[j + 2], s2)
                s3 = fma(w_row[j + 3], delta[j + 3], s3)
                s4 = fma(w_row[j + 4], delta[j + 4], s4)
                s5 = fma(w_row[j + 5], delta[j + 5], s5)
                s6 = fma(w_row[j + 6], delta[j + 6], s6)
                s7 = fma(w_row[j + 7], delta[j + 7], s7)
            total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
            for j in range(whole, n_out):
                g_row[j] = fma(xi, delta[j], g_row[j])
                total = fma(w_row[j], delta[j], total)
            below[i] = total


@njit(nogil=True, cache=True)
def q_batch(theta, sizes, w_off, b_off, a_off, index_input, dueling, xs, out):
    """Q-values of each row of ``xs`` (n, d) into ``out`` (n, A)."""
    acts = np.empty(a_off[-1])
    n_layers = sizes.shape[0] - 1
    top = a_off[n_layers]
    for r in range(xs.shape[0]):
        forward(theta, sizes, w_off, b_off, a_off, index_input, dueling, xs[r], acts)
        for k in range(out.shape[1]):
            out[r, k] = acts[top + k]


@njit(**_FAST)
def _argmax(acts, start, n):
    best, value = 0, acts[start]
    for k in range(1, n):
        if acts[start + k] > value:
            best, value = k, acts[start + k]
    return best


@njit(**_FAST)
def huber(delta):
    """(loss, d loss / d delta) of the smooth L1 loss with threshold 1."""
    if abs(delta) <= 1.0:
        return 0.5 * delta * delta, delta
    return abs(delta) - 0.5, 1.0 if delta > 0 else -1.0


@njit(**_FAST)
def clip_and_adam(theta, grad, m, v, t, lr, max_norm):
    """Clip ``grad`` to a global norm of ``max_norm`` (0: no clipping), then one Adam step
    (step number ``t``, from 1)."""
    if max_norm > 0.0:
        norm = math.sqrt(_dot(grad, grad))
        if norm > max_norm:
            scale = max_norm / (norm + 1e-6)
            for i in range(grad.shape[0]):
                grad[i] *= scale
    # PyTorch's form: step lr / c1, denominator sqrt(v) / sqrt(c2) + eps (one division each)
    step = lr / (1.0 - ADAM_B1**t)
    inv_c2 = 1.0 / math.sqrt(1.0 - ADAM_B2**t)
    for i in range(theta.shape[0]):
        g = grad[i]
        m[i] = ADAM_B1 * m[i] + (1.0 - ADAM_B1) * g
        v[i] = ADAM_B2 * v[i] + (1.0 - ADAM_B2) * (g * g)
        theta[i] -= step * m[i] / (math.sqrt(v[i]) * inv_c2 + ADAM_EPS)


@njit(**_FAST)
def soft_update(target, theta, tau):
    """target <- tau * theta + (1 - tau) * target (tau 1: a copy)."""
    if tau >= 1.0:
        target[:] = theta
    else:
        for i in range(theta.shape[0]):
            target[i] = tau * theta[i] + (1.0 - tau) * target[i]


# -- the replay buffer's sampling -------------------------------------------------------------
def tree_leaves(capacity: int) -> int:
    """The leaves of a sum-tree over ``capacity`` transitions: the next power of two."""
    return 1 << max(0, int(capacity - 1).bit_length())


@njit(**_FAST)
def tree_set(tree_sum, tree_min, i, p):
    """Transition ``i``'s priority ``p``: its leaf, then each node above it recomputed from its
    two children (never adjusted by a difference, so the tree is a function of its leaves).
    The heap's root is node 1; its unused node 0 of ``tree_sum`` holds the largest priority."""
    size = tree_sum.shape[0] // 2
    j = size + i
    tree_sum[j] = p
    tree_min[j] = p
    j //= 2
    while j >= 1:
        tree_sum[j] = tree_sum[2 * j] + tree_sum[2 * j + 1]
        left, right = tree_min[2 * j], tree_min[2 * j + 1]
        tree_min[j] = left if left < right else right
        j //= 2
    if p > tree_sum[0]:
        tree_sum[0] = p


@njit(**_FAST)
def tree_find(tree_sum, u):
    """The transition whose share of the priorities' running sum holds ``u`` (0 <= u < the
    root's sum): each transition is found with probability priority / sum. A branch whose sum
    is 0 is never taken, whatever the rounding."""
    size = tree_sum.shape[0] // 2
    j = 1
    while j < size:
        left = 2 * j
        if tree_sum[left] > 0.0 and (u < tree_sum[left] or tree_sum[left + 1] <= 0.0):
            j = left
        else:
            u -= tree_sum[left]
            j = left + 1
    return j - size


@njit(**_FAST)
def n_step_return(rewards, terminated, ended, i, pos, n, gamma):
    """The n-step return from transition ``i``: (sum of gamma^k r_(i+k), the bootstrap's
    discount, the transition whose next observation it bootstraps from). It stops early at an
    episode's end (a termination: discount 0, no bootstrap; a truncation: bootstrap there) and
    at the newest transition stored (``pos`` is where the next one will be written)."""
    capacity = rewards.shape[0]
    ret, discount, j = 0.0, 1.0, i
    for k in range(n):
        ret = fma(discount, rewards[j], ret)
        discount *= gamma
        if terminated[j]:
            return ret, 0.0, j
        nxt = j + 1 if j + 1 < capacity else 0
        if ended[j] or k == n - 1 or nxt == pos:
            break
        j = nxt
    return ret, discount, j


@njit(nogil=True, cache=True)
def gradient_step(net, buf, cursor, rng, params, iparams, record):
    """One minibatch of TD updates: draw ``batch`` transitions (uniformly, or in proportion to
    their priorities, one from each of ``batch`` equal slices of the priorities' sum), their
    n-step targets bootstrapped from the target network (never past a termination), the
    Huber loss on the taken actions (weighted by importance sampling under prioritized
    replay, which then stores each drawn transition's new priority), clip, Adam. Returns the
    mean loss; the first sample's numbers go into ``record``."""
    theta, target, m, v, grad, acts, deltas, sizes, w_off, b_off, a_off, index_input, dueling = net
    obs, next_obs, actions, rewards, terminated, ended, tree_sum, tree_min = buf
    fill, pos = cursor[C_FILL], cursor[C_POS]
    gamma, batch, n = params[P_GAMMA], iparams[I_BATCH], iparams[I_N_STEP]
    double, prioritized = iparams[I_DOUBLE] == 1, iparams[I_PRIORITIZED] == 1
    n_layers = sizes.shape[0] - 1
    top, n_actions = a_off[n_layers], sizes[n_layers] - (1 if dueling else 0)
    drawn = np.empty(batch, np.int64)
    weights = np.ones(batch)
    if prioritized:  # proportional (Schaul et al. 2016): P(i) = p_i / sum p, w = (N P(i))^-beta
        leaves = tree_sum.shape[0] // 2
        total, lowest = tree_sum[1], tree_min[1]
        done = min(1.0, cursor[C_TOTAL] / params[P_BUDGET])
        beta = params[P_PER_BETA0] + (1.0 - params[P_PER_BETA0]) * done
        segment = total / batch
        for b in range(batch):
            i = tree_find(tree_sum, (b + uniform(rng)) * segment)
            drawn[b] = i
            # divided by the largest weight, (N min p / sum p)^-beta: (min p / p_i)^beta
            weights[b] = (lowest / tree_sum[leaves + i]) ** beta
    else:
        for b in range(batch):
            drawn[b] = np.int64(uniform(rng) * fill)
    errors = np.empty(batch)
    grad[:] = 0.0
    loss_sum = 0.0
    for b in range(batch):
        i = drawn[b]
        ret, discount, last = n_step_return(rewards, terminated, ended, i, pos, n, gamma)
        boot = 0.0
        if discount != 0.0:
            forward(target, sizes, w_off, b_off, a_off, index_input, dueling, next_obs[last], acts)
            if double:
                values = acts[top : top + n_actions].copy()
                forward(
                    theta, sizes, w_off, b_off, a_off, index_input, dueling, next_obs[last], acts
                )
                boot = values[_argmax(acts, top, n_actions)]
            else:
                boot = acts[top + _argmax(acts, top, n_actions)]
        y = ret + discount * boot
        forward(theta, sizes, w_off, b_off, a_off, index_input, dueling, obs[i], acts)
        q = acts[top + actions[i]]
        loss, slope = huber(y - q)
        errors[b] = y - q
        loss_sum += weights[b] * loss
        backward(
            theta,
            grad,
            sizes,
            w_off,
            b_off,
            a_off,
            index_input,
            dueling,
            obs[i],
            acts,
            deltas,
            actions[i],
            -slope * weights[b] / batch,
        )
        if b == 0:
            record[R_Q_PRED], record[R_BOOTSTRAP], record[R_TD_TARGET] = q, boot, y
            record[R_TD_ERROR], record[R_LOSS] = y - q, loss
            record[R_SAMPLE_ACTION], record[R_SAMPLE_REWARD] = actions[i], rewards[i]
            record[R_SAMPLE_TERMINATED] = terminated[last]
            steps = (last - i) % rewards.shape[0] + 1
            record[R_SAMPLE_STEPS], record[R_SAMPLE_DISCOUNT] = steps, discount
            for k in range(MAX_N_STEP):
                record[R_SAMPLE_REWARDS + k] = (
                    rewards[(i + k) % rewards.shape[0]] if k < steps else np.nan
                )
            if prioritized:
                p = tree_sum[tree_sum.shape[0] // 2 + i]
                record[R_SAMPLE_PRIORITY], record[R_SAMPLE_PROBABILITY] = p, p / tree_sum[1]
            else:
                record[R_SAMPLE_PRIORITY], record[R_SAMPLE_PROBABILITY] = np.nan, 1.0 / fill
            record[R_SAMPLE_WEIGHT] = weights[b]
    clip_and_adam(theta, grad, m, v, cursor[C_ADAM_T], params[P_LR], params[P_MAX_NORM])
    if prioritized:  # p = (|delta| + eps)^alpha, after the whole batch was drawn and learnt
        for b in range(batch):
            p = (abs(errors[b]) + params[P_PER_EPS]) ** params[P_PER_ALPHA]
            tree_set(tree_sum, tree_min, drawn[b], p)
    return loss_sum / batch


# -- the envs ---------------------------------------------------------------------------------
@njit(nogil=True, cache=True)
def cartpole_step(state, action):
    """Gymnasium's CartPole-v1 step (Euler) on ``state`` in place; returns terminated."""
    x, x_dot, theta, theta_dot = state[0], state[1], state[2], state[3]
    force = FORCE_MAG if action == 1 else -FORCE_MAG
    costheta, sintheta = math.cos(theta), math.sin(theta)
    temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS)
    )
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    x = x + TAU * x_dot
    x_dot = x_dot + TAU * xacc
    theta = theta + TAU * theta_dot
    theta_dot = theta_dot + TAU * thetaacc
    state[0], state[1], state[2], state[3] = x, x_dot, theta, theta_dot
    return (
        x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD
    )


@njit(nogil=True, cache=True)
def _reset(kind, env, env_state, cursor, rng):
    if kind == CARTPOLE:
        for i in range(4):
            env_state[i] = -0.05 + 0.1 * uniform(rng)
    elif kind == GYM:  # Gymnasium resets it (in Python) with a seed from the generator
        cursor[C_RESET_SEED] = np.int64(uniform(rng) * 2**31)
    else:
        cursor[C_STATE] = first_above(env[4], uniform(rng))


@njit(nogil=True, cache=True)
def _observe(kind, env_state, cursor, obs):
    """What the agent sees: CartPole's state as float32 (as Gymnasium returns it); a discrete
    env's state index."""
    if kind == CARTPOLE:
        for i in range(4):
            obs[i] = np.float64(np.float32(env_state[i]))
    elif kind == GYM:  # the observation Gymnasium returned
        for i in range(obs.shape[0]):
            obs[i] = env_state[i]
    else:
        obs[0] = cursor[C_STATE]


@njit(nogil=True, cache=True)
def _env_step(kind, env, env_state, cursor, rng, action):
    """(reward, terminated, success) of one step; the env's state advances in place."""
    if kind == CARTPOLE:
        return 1.0, cartpole_step(env_state, action), False
    next_state, reward, terminated, cum_prob, cum_initial, n_outcomes = env
    s = cursor[C_STATE]
    k = sample_outcome(cum_prob, n_outcomes, s, action, rng)
    r = reward[s, action, k]
    cursor[C_STATE] = next_state[s, action, k]
    return r, terminated[s, action, k], False


@njit(nogil=True, cache=True)
def new_episode(kind, env, env_state, cursor, fcursor, rng):
    _reset(kind, env, env_state, cursor, rng)
    cursor[C_T] = 0
    cursor[C_EP_UPDATES] = 0
    fcursor[F_RETURN] = 0.0
    fcursor[F_EP_LOSS] = 0.0


@njit(nogil=True, cache=True)
def run(
    env,
    net,
    buf,
    env_state,
    cursor,
    fcursor,
    rng,
    params,
    iparams,
    max_episodes,
    max_steps,
    max_updates,
    out_return,
    out_length,
    out_outcome,
    out_loss,
    record,
    record_obs,
):
    """Act epsilon-greedily, store each transition, learn on schedule, update the target
    network on schedule, until ``max_episodes`` episodes end, ``max_steps`` steps are taken or
    ``max_updates`` gradient steps are done. Returns the number of episodes finished (their rows
    in the ``out_*`` arrays).

    A step's training round can outlast the update budget: the call then returns with the
    step half done (``C_IN_STEP``) and the next call finishes it first, so a run cut into
    calls of any size is bitwise the run in one call. (A GYM env's steps are taken in Python
    with ``choose`` and ``store``; this only finishes them, with ``max_steps`` 0.)"""
    finished = 0
    taken = 0
    updates = 0
    while True:
        if cursor[C_IN_STEP] == 0:  # no step in progress: take the next one
            if finished >= max_episodes or taken >= max_steps or iparams[I_KIND] == GYM:
                break
            action = choose(net, env_state, cursor, rng, params, iparams, record, record_obs)
            reward, terminated, _ = _env_step(iparams[I_KIND], env, env_state, cursor, rng, action)
            store(
                buf,
                env_state,
                cursor,
                fcursor,
                params,
                iparams,
                record,
                record_obs,
                action,
                reward,
                terminated,
                False,
            )
            taken += 1
        while cursor[C_ROUND_LEFT] > 0:
            if updates >= max_updates:
                return finished
            cursor[C_ADAM_T] += 1
            loss = gradient_step(net, buf, cursor, rng, params, iparams, record)
            fcursor[F_EP_LOSS] += loss
            cursor[C_EP_UPDATES] += 1
            cursor[C_UPDATES] += 1
            cursor[C_ROUND_LEFT] -= 1
            updates += 1
        if _end_step(
            env,
            net,
            env_state,
            cursor,
            fcursor,
            rng,
            params,
            iparams,
            record,
            finished,
            out_return,
            out_length,
            out_outcome,
            out_loss,
        ):
            finished += 1
    return finished


@njit(nogil=True, cache=True)
def choose(net, env_state, cursor, rng, params, iparams, record, record_obs):
    """A step's action: a person's, an exploring one (epsilon's schedule), or the greedy one;
    the observation goes into ``record_obs[0]``."""
    kind, n_actions = iparams[I_KIND], iparams[I_N_ACTIONS]
    theta, _, _, _, _, acts, _, sizes, w_off, b_off, a_off, index_input, dueling = net
    top = a_off[sizes.shape[0] - 1]
    obs = record_obs[0]
    total = cursor[C_TOTAL]
    # DQNConfig.epsilon_at's schedule, here in numba
    if params[P_EPSILON] >= 0.0:
        epsilon = params[P_EPSILON]
    elif total >= params[P_EXPLORE_STEPS]:
        epsilon = params[P_END_E]
    else:
        frac = total / params[P_EXPLORE_STEPS]
        epsilon = params[P_START_E] + (params[P_END_E] - params[P_START_E]) * frac
    _observe(kind, env_state, cursor, obs)
    explored = False
    if cursor[C_PENDING] == 1:  # a person's action
        action = cursor[C_PENDING_ACTION]
        cursor[C_PENDING] = 0
    elif uniform(rng) < epsilon:
        action = min(n_actions - 1, np.int64(uniform(rng) * n_actions))
        explored = True
    else:
        forward(theta, sizes, w_off, b_off, a_off, index_input, dueling, obs, acts)
        action = _argmax(acts, top, n_actions)
    record[R_STATE], record[R_ACTION] = cursor[C_STATE], action
    record[R_EXPLORED], record[R_EPSILON] = explored, epsilon
    return action


@njit(nogil=True, cache=True)
def store(
    buf,
    env_state,
    cursor,
    fcursor,
    params,
    iparams,
    record,
    record_obs,
    action,
    reward,
    terminated,
    truncated,
):
    """A step's outcome, the env having moved (``truncated``: the env itself cut the episode):
    count it, store the transition, and schedule the training round and target update it owes.
    The step is then in progress until ``run`` finishes it."""
    obs_buf, next_buf, act_buf, rew_buf, term_buf, end_buf, tree_sum, tree_min = buf
    obs, next_obs = record_obs[0], record_obs[1]
    _observe(iparams[I_KIND], env_state, cursor, next_obs)
    t = cursor[C_T] + 1
    total = cursor[C_TOTAL] + 1
    cursor[C_T], cursor[C_TOTAL] = t, total
    limit = iparams[I_TIME_LIMIT]
    truncated = not terminated and (truncated or (limit > 0 and t >= limit))
    fcursor[F_RETURN] += reward
    updated = synced = False
    if iparams[I_LEARN] == 1:
        pos = cursor[C_POS]
        capacity = act_buf.shape[0]
        obs_buf[pos, :] = obs
        next_buf[pos, :] = next_obs
        act_buf[pos], rew_buf[pos], term_buf[pos] = action, reward, terminated
        end_buf[pos] = terminated or truncated
        if iparams[I_PRIORITIZED] == 1:  # a new transition is drawn at the largest priority
            tree_set(tree_sum, tree_min, pos, tree_sum[0])
        cursor[C_POS] = (pos + 1) % capacity
        cursor[C_FILL] = min(cursor[C_FILL] + 1, capacity)
        if total > iparams[I_LEARNING_STARTS]:
            if total % iparams[I_TRAIN_FREQ] == 0 and iparams[I_GRAD_STEPS] > 0:
                cursor[C_ROUND_LEFT] = iparams[I_GRAD_STEPS]
                updated = True
            synced = total % iparams[I_TARGET_FREQ] == 0
    elif cursor[C_FILL] > 0:  # a step not stored: the transitions before and after it are not
        capacity = act_buf.shape[0]  # one trajectory, and no n-step return joins them
        end_buf[(cursor[C_POS] - 1) % capacity] = True
    cursor[C_IN_STEP] = 1
    record[R_REWARD], record[R_NEXT_STATE] = reward, cursor[C_STATE]
    record[R_TERMINATED], record[R_TRUNCATED] = terminated, truncated
    record[R_UPDATED], record[R_SYNCED] = updated, synced
    record[R_LR], record[R_GAMMA] = params[P_LR], params[P_GAMMA]
    record[R_EPISODE], record[R_T] = cursor[C_EPISODE], t


@njit(nogil=True, cache=True)
def _end_step(
    env,
    net,
    env_state,
    cursor,
    fcursor,
    rng,
    params,
    iparams,
    record,
    row,
    out_return,
    out_length,
    out_outcome,
    out_loss,
):
    """A step's last half, after its training round: the target update it owes, then the
    episode's end (its row ``row`` of the ``out_*`` arrays) if it ended. Returns whether."""
    cursor[C_IN_STEP] = 0
    if record[R_SYNCED] == 1.0:
        soft_update(net[1], net[0], params[P_TAU])
        cursor[C_SYNCS] += 1
        cursor[C_LAST_SYNC] = cursor[C_TOTAL]
    terminated, truncated = record[R_TERMINATED] == 1.0, record[R_TRUNCATED] == 1.0
    if not (terminated or truncated):
        return False
    kind = iparams[I_KIND]
    out_return[row], out_length[row] = fcursor[F_RETURN], cursor[C_T]
    if kind == CARTPOLE:
        out_outcome[row] = TERMINATED if terminated else SUCCESS
    elif kind == GYM:  # the env's own end (Acrobot's, MountainCar's goal) counts as success
        out_outcome[row] = SUCCESS if terminated else TRUNCATED
    elif terminated and record[R_REWARD] >= params[P_SUCCESS]:
        out_outcome[row] = SUCCESS
    else:
        out_outcome[row] = TERMINATED if terminated else TRUNCATED
    n = cursor[C_EP_UPDATES]
    out_loss[row] = fcursor[F_EP_LOSS] / n if n > 0 else np.nan
    cursor[C_EPISODE] += 1
    new_episode(kind, env, env_state, cursor, fcursor, rng)
    return True


@njit(nogil=True, cache=True)
def run_greedy(
    env,
    net,
    kind,
    n_actions,
    limit,
    rng,
    episodes,
    out_return,
    out_length,
    out_outcome,
    success_reward,
):
    """The greedy policy for ``episodes`` episodes from fresh starts (its own generator and env
    state; the agent is untouched). An episode without a limit is cut at 100,000 steps."""
    theta, _, _, _, _, acts, _, sizes, w_off, b_off, a_off, index_input, dueling = net
    top = a_off[sizes.shape[0] - 1]
    env_state = np.zeros(4)
    cursor = np.zeros(N_CURSOR, np.int64)
    obs = np.empty(4 if kind == CARTPOLE else 1)
    cap = limit if limit > 0 else 100_000
    for e in range(episodes):
        _reset(kind, env, env_state, cursor, rng)
        ret, t, terminated, reward = 0.0, 0, False, 0.0
        while t < cap and not terminated:
            _observe(kind, env_state, cursor, obs)
            forward(theta, sizes, w_off, b_off, a_off, index_input, dueling, obs, acts)
            reward, terminated, _ = _env_step(
                kind, env, env_state, cursor, rng, _argmax(acts, top, n_actions)
            )
            ret += reward
            t += 1
        out_return[e], out_length[e] = ret, t
        if kind == CARTPOLE:
            out_outcome[e] = TERMINATED if terminated else SUCCESS
        elif terminated and reward >= success_reward:
            out_outcome[e] = SUCCESS
        else:
            out_outcome[e] = TERMINATED if terminated else TRUNCATED
