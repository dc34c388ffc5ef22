"""vae_course.language: the edition's language picks the words of generated text and figure labels."""

from __future__ import annotations

import pytest

from vae_course.data import CLASS_NAMES
from vae_course.language import (
    CLASS_NAMES_ID,
    LANGUAGE_VARIABLE,
    class_label,
    language,
    localize,
    number,
    t,
)


def test_english_when_the_variable_is_unset(monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    assert language() == "en"
    assert t("better", "lebih baik") == "better"
    assert class_label("Sneaker") == "Sneaker"


def test_indonesian_when_the_build_asks_for_it(monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "id")
    assert t("better", "lebih baik") == "lebih baik"
    assert class_label("Sneaker") == "Sepatu kets"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", ["17,900", "0.1", "12.5%", "60000", "-3.25", "1.2e-05"]),
        ("id", ["17.900", "0,1", "12,5%", "60000", "-3,25", "1,2e-05"]),
    ],
)
def test_numbers_are_written_as_the_language_writes_them(monkeypatch, code, expected):
    monkeypatch.setenv(LANGUAGE_VARIABLE, code)
    values = [(17_900, ","), (0.1, ".1f"), (0.125, ".1%"), (60_000, ""), (-3.25, ""), (1.2e-5, ".1e")]
    assert [number(value, spec) for value, spec in values] == expected
    assert number(1234567.891, ",.2f") == {"en": "1,234,567.89", "id": "1.234.567,89"}[code]


def test_an_unknown_language_is_an_error(monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")
    with pytest.raises(ValueError, match="fr"):
        language()


def test_every_class_has_an_indonesian_name():
    assert set(CLASS_NAMES_ID) == set(CLASS_NAMES)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", ("nats per image", "reconstruction")), ("id", ("nat per gambar", "rekonstruksi"))],
)
def test_localize_translates_the_library_labels(monkeypatch, code, expected):
    from vae_course.plotting import latent_scatter, loss_curves

    monkeypatch.setenv(LANGUAGE_VARIABLE, code)
    record = {
        "epoch": 1,
        "train_reconstruction": 1.0,
        "val_reconstruction": 1.5,
        "train_kl": 0.0,
        "val_kl": 0.0,
    }
    fig = localize(loss_curves({"epochs": [record, {**record, "epoch": 2}]}))
    assert (fig.axes[0].get_ylabel(), fig.axes[0].get_title()) == expected
    scatter = localize(latent_scatter([[0.0, 0.0], [1.0, 1.0]], [7, 2], title="mine"))
    legend = [text.get_text() for text in scatter.axes[0].get_legend().get_texts()]
    assert ("Sepatu kets" in legend) == (code == "id") and scatter.axes[0].get_title() == "mine"


@pytest.mark.parametrize(("code", "expected"), [("en", ["0.0", "0.5", "1.0"]), ("id", ["0,0", "0,5", "1,0"])])
def test_tick_labels_of_a_displayed_figure_are_written_in_the_language(monkeypatch, code, expected):
    from matplotlib.figure import Figure

    from vae_course.plotting import with_alt

    monkeypatch.setenv(LANGUAGE_VARIABLE, code)
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0.0, 1.0], [1e4, 2e4])
    ax.set_xticks([0.0, 0.5, 1.0])
    ax.set_yscale("log")
    with_alt(fig, "a line")._repr_mimebundle_()
    assert [label.get_text().replace("\u2212", "-") for label in ax.get_xticklabels()] == expected
    assert all("," not in label.get_text() for label in ax.get_yticklabels())  # a log axis is left alone
