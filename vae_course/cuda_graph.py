"""A whole training step captured once as a CUDA graph, then replayed for every batch of the same shape.

On a GPU, a step of the course's models is a few hundred small kernels; launched one by one from
Python, each waits for the host, so an epoch takes seconds where the arithmetic takes milliseconds
(``bench/results/gpu-nvidia-h200.md``). A CUDA graph records the kernels of one step, the forward
pass, the backward pass, Adam's update and the running sums included, and launches them all with
one call. What that asks of the step (PyTorch's "whole network capture"):

- static inputs: each batch is copied into the tensor the graph was recorded with;
- a few eager calls first, on a side stream, so that lazy set-up (the optimizer's state, cuBLAS
  workspaces, ``torch.compile``) happens before recording, not in it;
- nothing in the step reads a value on the host, and Adam is ``capturable`` (its step count lives
  on the device); random numbers come from PyTorch's default generator, which graphs support;
- inputs of another shape (the smaller last batch) run eagerly.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

WARMUP_CALLS = 3  # eager calls before recording, as in PyTorch's CUDA graph examples


class GraphedStep:
    """Calls ``step(*inputs)``: eagerly for its first calls, then as a replay of one recorded CUDA graph.

    Args:
        step: the whole step, e.g. loss, ``backward`` and ``optimizer.step()``; it must set the gradients
            to None before ``backward`` (so that the graph owns them) and return a tensor (the loss).
        warmup: eager calls, on a side stream, before the call that records the graph.

    The first call's input shapes are the graph's; calls with other shapes always run eagerly. The
    tensor a replay returns is the graph's own output, overwritten by the next replay: clone it to keep it.
    """

    def __init__(self, step: Callable[..., torch.Tensor], warmup: int = WARMUP_CALLS):
        self.step, self.warmup = step, warmup
        self.shapes: list[torch.Size] | None = None
        self.calls = 0  # eager calls with the graph's shapes so far
        self.graph: torch.cuda.CUDAGraph | None = None
        self.static_inputs: list[torch.Tensor] = []
        self.static_output: torch.Tensor | None = None

    @property
    def recorded(self) -> bool:
        return self.graph is not None

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        shapes = [x.shape for x in inputs]
        if self.shapes is None:
            self.shapes = shapes
        if shapes != self.shapes:
            return self.step(*inputs)
        if self.graph is not None:
            for static, x in zip(self.static_inputs, inputs):
                static.copy_(x)
            self.graph.replay()
            return self.static_output
        if self.calls < self.warmup:
            self.calls += 1
            return self._on_side_stream(*inputs)
        self._record(*inputs)
        self.graph.replay()  # recording runs nothing: this call's step happens here
        return self.static_output

    def _on_side_stream(self, *inputs: torch.Tensor) -> torch.Tensor:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            output = self.step(*inputs)
        torch.cuda.current_stream().wait_stream(side)
        return output

    def _record(self, *inputs: torch.Tensor) -> None:
        self.static_inputs = [x.clone() for x in inputs]
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.static_output = self.step(*self.static_inputs)
