"""Every slide of every shipped tour, walked in the app at 100x30, with and without the presenter
theme: each figure its caption states is filled in from the run and stands elsewhere on the
screen (in the panel that shows it), each view and panel the slide names is visible, every panel
shown is whole, and no warning covers the slide."""

from __future__ import annotations

import re

import pytest
from driver import chart_drawn, screen_lines, settle

import tui_taxi.trainer as trainer_module
import tui_taxi.ui.widgets.reward_chart as chart_module
from tui_taxi.core.agent import kind_named
from tui_taxi.demo import TOURS, WORLD_FIELDS, load_tour
from tui_taxi.ui.app import create_app
from tui_taxi.ui.widgets.tour_caption import TourCaption

#: Where a slide's view and panel show (widget ids).
VIEWS = {"qtable": "qtable", "chart": "chart"}
PANELS = {"explain": "explainer", "stats": "stats", "policy": "values", "compare": "compare"}


def _ready(app, tour, index):
    def ready(snap) -> bool:
        if snap.handled < app.trainer.sent or snap.playing_to:
            return False
        if snap.model is not None and snap.report is None:
            return False
        caption = app.live.query_one(TourCaption)
        if caption.planning is not None and caption.planning.busy:
            return False  # (a large model planned on a worker)
        return tour.panel_at(index) != "compare" or caption.comparison is not None

    return ready


@pytest.mark.parametrize("presenter", [False, True], ids=["plain", "presenter"])
@pytest.mark.parametrize("name", list(TOURS))
async def test_every_figure_a_caption_states_is_on_the_screen(name, presenter, monkeypatch):
    monkeypatch.setattr(trainer_module, "TOUR_SPEED", 6)  # the walks at 60 steps/s: the same end
    monkeypatch.setattr(chart_module, "REDRAW", 0.05)  # the chart keeps up at once
    tour = load_tour(name=name)
    kind = kind_named(tour.agent)
    config = kind.configure(tour.env_id, tour.env_kwargs, seed=tour.seed)  # as the CLI
    app = create_app(config, paused=True, tour=tour, presenter=presenter)
    async with app.run_test(size=(100, 30)) as pilot:
        for index, step in enumerate(tour.steps):
            if index:
                await pilot.press("space")
            await settle(pilot, _ready(app, tour, index), rounds=3000)
            await chart_drawn(pilot)
            await pilot.pause()
            caption = app.live.query_one(TourCaption)
            figures = caption.figures()
            rows = screen_lines(app)
            paragraph = range(caption.region.y + 1, caption.region.bottom)
            elsewhere = "\n".join(row for y, row in enumerate(rows) if y not in paragraph)
            where = f"{name} slide {index + 1} ({step.title})"
            for field in re.findall(r"\{([^{}]*)\}", step.caption):
                assert field in figures, f"{where}: {{{field}}} not known"
                if field not in WORLD_FIELDS:  # the world's own come from its model
                    assert figures[field] in elsewhere, f"{where}: {figures[field]} ({field})"
            assert "…" not in caption.caption().plain, where
            assert "could not be drawn" not in elsewhere, where
            warned = [n.message for n in app.toasts.shown() if n.severity != "information"]
            assert not warned, f"{where}: {warned}"  # (a warning would cover the screen)
            if tour.view_at(index) == "planning":  # the planner instead of the dashboard
                planning = app.live.query_one("#planning")
                assert planning.display and app.live.has_class("-planning"), where
                assert not app.live.query_one("#dashboard").display, where
                assert planning.region.height > 0 and planning.region.bottom <= 30, where
                grid = app.live.query_one("#plan-grid").region
                assert grid.height > 0 and grid.bottom <= planning.region.bottom, where
                if "policy" in figures and "the map:" in elsewhere:  # Jack's: the policy named
                    assert f"the map: {figures['policy']}, the policy evaluated" in elsewhere
                continue
            assert not app.live.has_class("-planning"), where
            shown = {w.id for w in app.live.query("#left > *, #right > *") if w.display}
            view = "chart" if app.live.chart_view else "qtable"
            assert VIEWS[tour.view_at(index)] == VIEWS[view] and VIEWS[view] in shown, where
            assert PANELS[tour.panel_at(index)] in shown, where
            for panel in app.query("#left > *, #right > *"):  # every panel shown whole
                if panel.display:
                    region = panel.region
                    assert region.bottom <= 30 and region.height > 0, (where, panel.id)
                    if panel.id == "qtable" and name == "taxi" and not presenter:
                        assert region.height == 27, where  # its legend, the last line
        app.trainer.stop()
