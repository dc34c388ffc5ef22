"""The exercises in Indonesian: what is translated, and that nothing graded changes.

``scripts/translate_exercises.py`` extracts the text students read from the English source notebooks
into ``locale/LANG/LC_MESSAGES/exercises/*.po`` (``tests/test_translation.py`` holds those catalogues to
the book's gate: complete, current, math, code and links unchanged) and writes the translated sources,
``solutions-LANG/``, which nbgrader releases to ``exercises-LANG/``. Here: the extraction takes what
it should and nothing else, a translation that would change code is refused, the committed translated
sources are what the script makes, and they keep every cell, grade id, point and hidden test of the
English ones. (That the same answers earn the same points in both languages is shown end to end by
``tests/test_exercises.py``, which grades both classes.)
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys

import nbformat
import pytest
from exercise_support.answers import ASSIGNMENTS, ROOT, notebook_path

from vae_course.course import CLASS_LANGUAGES, class_language, configure_nbgrader, exercise_folders
from vae_course.language import LANGUAGE_VARIABLE


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


translate = _load("translate_exercises")
setup_cell = _load("setup_cell")
LANGUAGES = translate.LANGUAGES
UNSEEN = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1", re.S)


def notebook(*cells) -> dict:
    return nbformat.from_dict({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def cell(kind: str, source: str, cell_id: str = "cell", **grading) -> dict:
    metadata = {"nbgrader": {"grade_id": cell_id, **grading}} if grading else {}
    made = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
    made.id, made.metadata = cell_id, metadata
    return made


def messages(*cells) -> list[str]:
    return [message for message, _, _ in translate.notebook_messages(notebook(*cells))]


# --------------------------------------------------------------------------- what is a message


MARKDOWN = """\
## 1. `kl_divergence(mu, logvar)`

Return the KL of each example,
**summed over** $j$:

$$D_{KL} = -\\tfrac12 \\sum_j (1 + \\log\\sigma_j^2 - \\mu_j^2 - \\sigma_j^2)$$

* shapes `(B, D)` in,
  `(B,)` out;
1. a numbered item

| method | returns |
|---|---|
| `encode(x)` | the tuple `(mu, logvar)` |

```python
print("code blocks are copied")
```
"""


def test_markdown_gives_headings_paragraphs_items_and_table_cells_not_math_or_code():
    assert messages(cell("markdown", MARKDOWN)) == [
        "1. `kl_divergence(mu, logvar)`",
        "Return the KL of each example, **summed over** $j$:",
        "shapes `(B, D)` in, `(B,)` out;",
        "a numbered item",
        "method",
        "returns",
        "`encode(x)`",
        "the tuple `(mu, logvar)`",
    ]


def test_markdown_translations_land_in_place_and_keep_the_structure():
    translated = translate.translate_notebook(
        notebook(cell("markdown", MARKDOWN)),
        {
            "Return the KL of each example, **summed over** $j$:": "Kembalikan KL setiap contoh, **dijumlahkan atas** $j$:",
            "shapes `(B, D)` in, `(B,)` out;": "masuk berbentuk `(B, D)`,\nkeluar `(B,)`;",
            "returns": "mengembalikan",
        }.get,
    )
    text = translated.cells[0].source
    assert "Kembalikan KL setiap contoh, **dijumlahkan atas** $j$:\n\n$$D_{KL}" in text
    assert "* masuk berbentuk `(B, D)`,\n  keluar `(B,)`;\n1. a numbered item" in text, "a line break stays in the item"
    assert "| method | mengembalikan |" in text and text.endswith('```python\nprint("code blocks are copied")\n```\n')


CODE = '''\
# Stand-in models for the visible tests: their outputs are
# easy to predict.
def kl(mu, logvar):
    r"""KL per example.

    Args:
        mu: posterior means, shape (B, D).
    """
    ### BEGIN SOLUTION
    # a comment students never see
    return (mu**2).sum(dim=1)  # (B,)
    ### END SOLUTION


# When your notebook is graded, hidden tests run here first.
### BEGIN HIDDEN TESTS
assert kl is not None, "a hidden message"
### END HIDDEN TESTS
value = kl(mu, logvar)  # one KL per example
assert value.shape == (4,), f"expected shape (4,), got {tuple(value.shape)}"
print("done", value)
plt.plot(value, label="samples")
'''


def test_code_gives_comments_docstrings_and_messages_outside_solutions_and_hidden_tests():
    assert messages(cell("code", CODE)) == [
        "Stand-in models for the visible tests: their outputs are easy to predict.",
        "KL per example.",
        "Args:\n    mu: posterior means, shape (B, D).",
        "When your notebook is graded, hidden tests run here first.",
        "one KL per example",
        "expected shape (4,), got {tuple(value.shape)}",
        "done",
        "samples",
    ]


def test_code_translations_keep_the_code_and_rewrap_comment_blocks():
    words = {
        "Stand-in models for the visible tests: their outputs are easy to predict.": "Model pengganti " * 12,
        "Args:\n    mu: posterior means, shape (B, D).": "Args:\n    mu: rata-rata posterior, berbentuk (B, D).",
        "one KL per example": "satu KL per contoh",
        "expected shape (4,), got {tuple(value.shape)}": "seharusnya berbentuk (4,), didapat {tuple(value.shape)}",
    }
    text = translate.translate_notebook(notebook(cell("code", CODE)), words.get).cells[0].source
    first, second, third = text.splitlines()[:3]
    assert first.startswith("# Model pengganti") and second.startswith("# ") and third.startswith("def kl")
    assert all(len(line) <= translate.COMMENT_WIDTH for line in text.splitlines())
    assert '    Args:\n        mu: rata-rata posterior, berbentuk (B, D).\n    """' in text
    assert "value = kl(mu, logvar)  # satu KL per contoh\n" in text
    assert 'f"seharusnya berbentuk (4,), didapat {tuple(value.shape)}"' in text
    assert UNSEEN.findall(text) == UNSEEN.findall(CODE) and "a comment students never see" in text
    assert translate.code_skeleton(text) == translate.code_skeleton(CODE)


@pytest.mark.parametrize(
    "translation",
    [
        "seharusnya (4,), didapat {value.shape}",  # another field: the message would print something else
        'seharusnya "(4,)", didapat {tuple(value.shape)}',  # a quote that ends the string
    ],
)
def test_a_translation_that_changes_the_code_is_refused(translation):
    wrong = {"expected shape (4,), got {tuple(value.shape)}": translation}
    with pytest.raises(ValueError, match="cell cell: a translation (changed|broke) the code"):
        translate.translate_notebook(notebook(cell("code", CODE)), wrong.get)


def test_model_answers_and_the_setup_cell_are_not_messages():
    answer = cell("markdown", "The KL is zero when q = p.", "answer", solution=True, grade=True, points=2)
    setup = cell("code", setup_cell.cell_source(), setup_cell.CELL_ID, solution=False, grade=False, locked=True)
    assert messages(answer, setup) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_identity_translation_gives_back_the_source_notebook(assignment):
    source = nbformat.read(notebook_path(assignment), as_version=4)
    assert translate.notebook_messages(source), "no messages found"
    assert translate.translate_notebook(source, lambda message: message) == source


# --------------------------------------------------------------------------- the translated sources


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_translated_sources_are_what_the_script_makes(language, assignment):
    path = translate.translated_path(language, assignment)
    assert path.is_file(), f"run scripts/translate_exercises.py: {path.relative_to(ROOT)} is missing"
    assert path.read_text() == translate.translated_text(language, assignment), (
        f"{path.relative_to(ROOT)} is stale: run scripts/update-translations, translate, then scripts/translate_exercises.py"
    )


def _unseen(cell) -> list[str]:
    return UNSEEN.findall(cell.source) if cell.cell_type == "code" else []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_translated_sources_grade_exactly_as_the_english_ones(language, assignment):
    """Same cells in the same order, same nbgrader metadata (grade ids, points, locks), same
    solutions, hidden tests and model answers, and every code cell the same code."""
    english = nbformat.read(notebook_path(assignment), as_version=4)
    translated = nbformat.read(translate.translated_path(language, assignment), as_version=4)
    assert [(c.id, c.cell_type) for c in translated.cells] == [(c.id, c.cell_type) for c in english.cells]
    for ours, theirs in zip(translated.cells, english.cells):
        assert ours.metadata == theirs.metadata, ours.id
        assert _unseen(ours) == _unseen(theirs), f"{ours.id}: solutions and hidden tests must be the English ones"
        if ours.cell_type == "code":
            assert translate.code_skeleton(ours.source) == translate.code_skeleton(theirs.source), ours.id
        elif ours.metadata.get("nbgrader", {}).get("solution"):
            assert ours.source == theirs.source, f"{ours.id}: the model answer is the instructor's"
    assert translated.cells[0].source == setup_cell.cell_source(language=language)
    changed = sum(ours.source != theirs.source for ours, theirs in zip(translated.cells, english.cells))
    assert changed > len(english.cells) / 2, "most cells should be translated"


def test_nothing_else_lives_in_the_translated_source_folders():
    for language in LANGUAGES:
        folder = ROOT / exercise_folders(language)[0]
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
            f"{name}/{name}.ipynb" for name in ASSIGNMENTS
        ]


# --------------------------------------------------------------------------- the class's language


def test_the_class_language_is_one_setting(monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    assert class_language() == "en" and class_language("id") == "id"
    monkeypatch.setenv(LANGUAGE_VARIABLE, "id")
    assert class_language() == "id" and class_language("en") == "en"
    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")
    with pytest.raises(ValueError, match="VAE_COURSE_LANGUAGE='fr'"):
        class_language()
    assert set(CLASS_LANGUAGES) == {"en", *LANGUAGES}
    assert exercise_folders("en") == ("solutions", "exercises")
    assert exercise_folders("id") == ("solutions-id", "exercises-id")


def test_configure_nbgrader_passes_the_language_to_every_kernel_and_check(monkeypatch):
    from traitlets.config import Config

    monkeypatch.setattr(os, "environ", {**os.environ, LANGUAGE_VARIABLE: "en"})  # the test's own stays as it is
    c = Config()
    assert configure_nbgrader(c, language="id") == "id"
    assert c.ClassGrade.kernel_env[LANGUAGE_VARIABLE] == "id", "classgrade's kernels start with a clean environment"
    assert os.environ[LANGUAGE_VARIABLE] == "id", "nbgrader's kernels and classgrade's judge inherit it"
    assert configure_nbgrader(Config()) == "id", "without an argument: the variable"


def test_an_edited_english_sentence_leaves_the_catalogue_behind(tmp_path):
    """What tests/test_translation.py compares: the messages of the sources as they are now against
    the catalogues. An edit shows up as a new message and a gone one; until it is translated, the
    translated source keeps the new English sentence."""
    from babel.messages.pofile import read_po

    assignment = "02_reparameterization"
    shutil.copytree(ROOT / "solutions" / assignment, tmp_path / "solutions" / assignment)
    path = notebook_path(assignment, tmp_path / "solutions")
    edited = nbformat.read(path, as_version=4)
    old = "Answer in three to five sentences."
    (question,) = [cell for cell in edited.cells if old in cell.source]
    question.source = question.source.replace(old, "Answer in two to four sentences.")
    nbformat.write(edited, path)
    with open(translate.catalogue_path("id", assignment), "rb") as stream:
        catalogue = {message.id for message in read_po(stream) if message.id}
    extracted = {message.id for message in translate.templates(tmp_path)[f"exercises/{assignment}"] if message.id}
    (new,), (gone,) = extracted - catalogue, catalogue - extracted
    assert new.endswith("Answer in two to four sentences.") and gone.endswith(old)
    text = translate.translate_notebook(
        edited, translate.catalogue_translation(translate.catalogue_path("id", assignment), "id")
    )
    assert "Answer in two to four sentences." in next(c.source for c in text.cells if c.id == question.id)
