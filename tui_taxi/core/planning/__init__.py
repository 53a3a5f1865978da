"""Planners: agents that know the world's transition model and plan with it (dynamic
programming), beside the learners that learn from samples."""

from tui_taxi.core.planning.dp import METHODS, Backup, Planner, PlanResult, plan

__all__ = ["METHODS", "Backup", "PlanResult", "Planner", "plan"]
