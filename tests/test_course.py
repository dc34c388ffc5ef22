"""The course's settings for its grading tools (``vae_course/course.py``): what classgrade's class report reads."""

from __future__ import annotations

import inspect
import os
import re

import pytest

from vae_course.checks import HINTS, CheckFailure
from vae_course.checks.hints import hint
from vae_course.course import HINT_PATTERN, PLOT_STYLE, hint_text
from vae_course.language import LANGUAGE_VARIABLE
from vae_course.plotting import save_figure


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_hint_pattern_finds_the_name_a_failed_check_gives_in_either_language(language, monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, language)
    for name in HINTS:
        message = str(CheckFailure("kl_divergence differs from the reference (float32 on cpu).", hint=name))
        assert re.findall(HINT_PATTERN, message, re.MULTILINE) == [name]
    assert re.findall(HINT_PATTERN, str(CheckFailure("no hint here")), re.MULTILINE) == []


@pytest.mark.parametrize("language", ["en", "id"])
def test_hint_text_is_the_checks_own_text_in_the_asked_language_and_leaves_the_environment_alone(language, monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    texts = {name: hint_text(name, language) for name in HINTS}
    assert LANGUAGE_VARIABLE not in os.environ
    monkeypatch.setenv(LANGUAGE_VARIABLE, language)
    assert texts == {name: hint(name) for name in HINTS}
    other = "id" if language == "en" else "en"
    hint_text("kl-sign", other)
    assert os.environ[LANGUAGE_VARIABLE] == language
    with pytest.raises(KeyError):
        hint_text("no-such-hint", language)


def test_the_plot_style_saves_figures_as_the_library_does():
    assert PLOT_STYLE["savefig.dpi"] == inspect.signature(save_figure).parameters["dpi"].default
    assert PLOT_STYLE["savefig.bbox"] == "tight"  # save_figure's bbox_inches="tight"
