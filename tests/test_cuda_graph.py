"""GraphedStep's bookkeeping, on the CPU through a stand-in for CUDA's graph API.

The stand-in records a step as the real API does, without running it, and replays it by calling
the step again on the static inputs. Whether the real graphs train as eager steps do is checked on
a GPU by ``bench/check_gpu_matches_cpu.py`` (configurations ``cuda_graph=True``).
"""

from __future__ import annotations

import contextlib

import pytest
import torch

from vae_course import cuda_graph
from vae_course.cuda_graph import GraphedStep
from vae_course.models import build_model
from vae_course.train import TrainConfig, build_optimizer, fit, uses_cuda_graph


class FakeCuda:
    """torch.cuda's stream and graph calls that GraphedStep makes; ``log`` says what ran where."""

    def __init__(self):
        self.log: list[str] = []
        self.recording: FakeCuda.CUDAGraph | None = None
        self.stream_name = "main"
        fake = self

        class CUDAGraph:
            def __init__(self):
                self.step, self.inputs = None, None

            def replay(self):
                fake.log.append("replay")
                self.step(*self.inputs)

        class Stream:
            def wait_stream(self, other):
                pass

        self.CUDAGraph, self.Stream = CUDAGraph, Stream

    def current_stream(self):
        return self.Stream()

    @contextlib.contextmanager
    def stream(self, stream):
        self.stream_name = "side"
        yield
        self.stream_name = "main"

    @contextlib.contextmanager
    def graph(self, graph):
        self.recording = graph
        yield
        self.recording = None


@pytest.fixture
def fake_cuda(monkeypatch) -> FakeCuda:
    fake = FakeCuda()
    monkeypatch.setattr(cuda_graph.torch, "cuda", fake)
    return fake


def _step(fake: FakeCuda):
    """A step that logs its calls and returns its input doubled; under recording it only registers itself."""
    output = torch.zeros(2)  # the graph's static output, for inputs of shape (2,)

    def step(x: torch.Tensor) -> torch.Tensor:
        if fake.recording is not None:
            fake.recording.step, fake.recording.inputs = step, [x]
            fake.log.append("record")
            return output
        fake.log.append(f"{fake.stream_name} {x.tolist()}")
        if x.shape != output.shape:
            return 2 * x
        output.copy_(2 * x)
        return output

    return step


def test_warm_up_on_a_side_stream_then_record_once_and_replay(fake_cuda):
    graphed = GraphedStep(_step(fake_cuda), warmup=2)
    outputs = [graphed(torch.tensor([float(i), 0.0])).clone() for i in range(5)]
    assert fake_cuda.log == [
        "side [0.0, 0.0]",
        "side [1.0, 0.0]",
        "record",
        "replay",
        "main [2.0, 0.0]",  # the recorded step runs on the batch of the call that recorded it
        "replay",
        "main [3.0, 0.0]",
        "replay",
        "main [4.0, 0.0]",
    ]
    assert [float(y[0]) for y in outputs] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert graphed.recorded


def test_inputs_of_another_shape_run_eagerly(fake_cuda):
    graphed = GraphedStep(_step(fake_cuda), warmup=1)
    for x in (torch.zeros(2), torch.ones(3), torch.ones(2), torch.full((3,), 2.0), torch.full((2,), 3.0)):
        graphed(x)
    assert fake_cuda.log == [
        "side [0.0, 0.0]",
        "main [1.0, 1.0, 1.0]",  # the smaller last batch: eager, not counted as warm-up
        "record",
        "replay",
        "main [1.0, 1.0]",
        "main [2.0, 2.0, 2.0]",
        "replay",
        "main [3.0, 3.0]",
    ]


def test_cuda_graph_acts_on_cuda_only():
    assert uses_cuda_graph(TrainConfig(cuda_graph=True), torch.device("cuda"))
    assert not uses_cuda_graph(TrainConfig(cuda_graph=True), torch.device("cpu"))
    assert not uses_cuda_graph(TrainConfig(), torch.device("cuda"))


def test_cuda_graph_asks_for_a_capturable_adam(monkeypatch):
    asked = []
    monkeypatch.setattr(torch.optim, "Adam", lambda params, **options: asked.append(options["capturable"]))
    model = build_model("mlp_vae", hidden_dim=8, latent_dim=2)
    for config, device in [(TrainConfig(cuda_graph=True), "cuda"), (TrainConfig(cuda_graph=True), "cpu"),
                           (TrainConfig(), "cuda")]:  # fmt: skip
        build_optimizer(model, config, torch.device(device))
    assert asked == [True, False, False]


def test_cuda_graph_cannot_hold_reduce_overhead():
    with pytest.raises(ValueError, match="reduce-overhead"):
        TrainConfig(cuda_graph=True, compile="reduce-overhead")
    with pytest.raises(ValueError, match="cuda_graph"):
        TrainConfig(cuda_graph=1)


def test_fit_with_cuda_graph_on_the_cpu_is_plain_fit():
    images = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    results = []
    for switch in (False, True):
        torch.manual_seed(0)
        model = build_model("mlp_vae", hidden_dim=16, latent_dim=2)
        config = TrainConfig(epochs=2, batch_size=16, cuda_graph=switch)
        history = fit(model, images, None, config, device="cpu", progress=False)
        results.append((history.column("train_loss"), torch.cat([p.detach().flatten() for p in model.parameters()])))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1])
