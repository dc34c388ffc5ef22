import subprocess
import sys

import vae_course


def test_all_lists_exactly_the_public_names():
    public = {name for name in vars(vae_course) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(vae_course, name)).__name__ == "module"}
    assert set(vae_course.__all__) == public - modules - {"annotations"}
    assert len(vae_course.__all__) == len(set(vae_course.__all__))
    for name in vae_course.__all__:
        assert getattr(vae_course, name) is not None


def test_import_does_no_work():
    """Importing reads no data, chooses no device, and imports neither sklearn nor matplotlib."""
    code = (
        "import sys, vae_course, torch; "
        "heavy = [m for m in ('sklearn', 'matplotlib', 'torchvision.datasets') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
