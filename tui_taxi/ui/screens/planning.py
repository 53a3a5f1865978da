"""The planning screen (P): the planning panel (:mod:`tui_taxi.ui.widgets.planning_panel`) over
the running app, with its keys. The trainer's run behind it is untouched."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from tui_taxi.core.envs import CompiledEnv
from tui_taxi.ui.views import PlanView
from tui_taxi.ui.widgets.planning_panel import PlanningPanel, RunValues


class PlanningScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("b", "panel('backup')", "One backup"),
        Binding("s", "panel('sweep')", "One sweep"),
        Binding("space", "panel('toggle_run')", "Run at a pace / pause"),
        Binding("f", "panel('converge')", "To convergence, flat out"),
        Binding("i", "panel('improve')", "Policy improvement"),
        Binding("m", "panel('next_method')", "Evaluation or value iteration"),
        Binding("p", "panel('toggle_in_place')", "Synchronous or in-place sweeps"),
        Binding("r", "panel('reset')", "Reset V to 0"),
        Binding("v", "panel('next_view')", "V, the run's max Q, or the gap"),
        Binding("x", "panel('next_part')", "Another slice of the world (Taxi's passenger)"),
        Binding("minus", "cost(-1)", "Every step's reward 0.1 lower"),
        Binding("plus,equals_sign", "cost(1)", "Every step's reward 0.1 higher"),
        Binding("escape,q,P", "dismiss", "Close"),
    ]
    DEFAULT_CSS = """
    PlanningScreen { align: center middle; }
    PlanningScreen > PlanningPanel {
        max-height: 100%; border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(
        self,
        model: CompiledEnv,
        gamma: float,
        world_name: str,
        view: PlanView,
        run: RunValues | None = None,
    ) -> None:
        super().__init__()
        self._world = (model, gamma, world_name, view, run)

    def compose(self) -> ComposeResult:
        yield PlanningPanel(keys=True, reserve=4)

    def on_mount(self) -> None:
        self.panel.open(*self._world)

    @property
    def panel(self) -> PlanningPanel:
        return self.query_one(PlanningPanel)

    def action_panel(self, what: str) -> None:
        getattr(self.panel, what)()

    def action_cost(self, direction: int) -> None:
        self.panel.change_cost(direction)
