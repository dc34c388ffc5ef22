"""Issue 25: the latent explorer's decoders in the browser, plain JavaScript against onnxruntime-web.

For each route, in Debian's Chromium (headless, under Playwright), on the same random codes for both
shipped decoders (``conv_vae_2d``, ``conv_vae_12d``):

- the bytes the page downloads to decode (script, runtime, weights);
- the time per decode: wall-clock, timed inside the page, and the main thread's CPU time (Chromium's
  ``ThreadTime`` metric), which a busy machine disturbs less;
- the largest difference from PyTorch's pixels.

The plain route is the book's: ``book/_static/latent-explorer.js`` with the safetensors files that
``scripts/build-book`` exports (``book/_ext/browser_decoders.py``). The ONNX route is measured only
when given an installed ``onnxruntime-web`` package (it is not a dependency of the course) and the
``onnx`` Python package, e.g.::

    npm install --prefix /tmp/ort onnxruntime-web@1.30.0
    python -m pip install --target /tmp/ort-py onnx
    PYTHONPATH=/tmp/ort-py python bench/bench_latent_explorer.py --onnxruntime-web /tmp/ort/node_modules/onnxruntime-web

The two pages run turn about, ``--rounds`` times, so that a change in the machine's load falls on
both. Without ``--onnxruntime-web``: ``python bench/bench_latent_explorer.py`` (the plain route alone).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "book" / "_ext")]

import browser_decoders  # noqa: E402
from browser_support import launch  # noqa: E402

ORT_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")  # the wasm backend
# Decode every code of `codes` on the page; returns the images. `name` is the model.
DECODE = {
    "plain": """async ([name, codes]) => {
        const images = [];
        for (const code of codes) images.push(Array.from(await vaeExplorer.decode(name, code)));
        return images;
    }""",
    "onnx": """async ([name, codes]) => {
        ort.env.wasm.numThreads = 1;
        ort.env.wasm.wasmPaths = location.href.replace(/[^/]*$/, "");
        window.sessions = window.sessions || {};
        window.sessions[name] = window.sessions[name] || await ort.InferenceSession.create(name + ".onnx");
        const images = [];
        for (const code of codes) {
            const result = await window.sessions[name].run({z: new ort.Tensor("float32", Float32Array.from(code), [1, code.length])});
            images.push(Array.from(result.x.data));
        }
        return images;
    }""",
}
TIME = """async ([decode, name, codes]) => {
    const run = eval(decode);
    const start = performance.now();
    for (const code of codes) await run([name, [code]]);
    return (performance.now() - start) / codes.length;
}"""


def build_site(site: Path, onnxruntime_web: Path | None, models: dict) -> list[str]:
    """The pages of the routes, with their files; returns the routes."""
    static = site / "_static"
    (static / "latent-explorer").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "_static" / "latent-explorer.js", static)
    for name, model in models.items():
        browser_decoders.export_decoder(model, name, static / "latent-explorer" / f"{name}.safetensors")
    (site / "plain.html").write_text(
        "<!doctype html><link rel=icon href=data:,><script src='_static/latent-explorer.js'></script>"
    )
    if onnxruntime_web is None:
        return ["plain"]
    for file in ORT_FILES:
        shutil.copy(onnxruntime_web / "dist" / file, site / file)
    for name, model in models.items():
        codes = torch.zeros(1, model.latent_dim)
        torch.onnx.export(
            model.decoder, (codes,), site / f"{name}.onnx", input_names=["z"], output_names=["x"], dynamo=False
        )
    (site / "onnx.html").write_text(f"<!doctype html><link rel=icon href=data:,><script src='{ORT_FILES[0]}'></script>")
    return ["plain", "onnx"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onnxruntime-web", type=Path, help="an installed onnxruntime-web package (its folder)")
    parser.add_argument("--codes", type=int, default=200, help="random codes per model and round")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each route")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from vae_course import load_or_train

    models = {name: load_or_train(name)[0].eval() for name in browser_decoders.MODELS}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        site = Path(folder)
        routes = build_site(site, args.onnxruntime_web, models)
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = launch(playwright)
        pages, downloads = {}, {route: {} for route in routes}
        for route in routes:
            page = browser.new_context().new_page()
            page.on("response", lambda r, d=downloads[route]: d.__setitem__(r.url.rsplit("/", 1)[-1], len(r.body())))
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{route}.html")
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            pages[route] = (page, cdp)
        print(f"Chromium {browser.version}; {args.codes} random codes per model and round, {args.rounds} rounds")
        for name, model in models.items():
            codes = 2 * torch.randn(args.codes, model.latent_dim, generator=torch.Generator().manual_seed(0))
            with torch.no_grad():
                expected = model.decode(codes).flatten(start_dim=1)  # (N, 784)
            for route, (page, _) in pages.items():
                actual = torch.tensor(page.evaluate(DECODE[route], [name, codes.tolist()]))  # also warms up
                print(
                    f"{name:13} {route:6} largest difference from PyTorch {(actual - expected).abs().max().item():.1e}"
                )
            for round_ in range(args.rounds):
                for route, (page, cdp) in pages.items():
                    before = thread_time(cdp)
                    wall = page.evaluate(TIME, [DECODE[route], name, codes.tolist()])
                    cpu = (thread_time(cdp) - before) * 1000 / args.codes
                    print(
                        f"{name:13} {route:6} round {round_ + 1}: {wall:6.2f} ms per decode, {cpu:5.2f} ms main-thread CPU"
                    )
        for route, files in downloads.items():
            print(
                f"{route:6} downloads {sum(files.values()):>11,} bytes: "
                + ", ".join(f"{f} {n:,}" for f, n in files.items())
            )
        browser.close()
        server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def thread_time(cdp) -> float:
    """The page's main thread's CPU time so far, in seconds."""
    return next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "ThreadTime")


if __name__ == "__main__":
    main()
