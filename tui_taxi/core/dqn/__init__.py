"""Deep Q-learning: a small MLP in numba, a replay buffer, a target network (see agent.py)."""
