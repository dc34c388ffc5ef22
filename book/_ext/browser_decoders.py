"""The shipped decoders, and the latent explorer's data, exported for the reader's browser.

``scripts/build-book`` calls :func:`export_explorer` once per build and copies what it writes into
each edition's ``_static/latent-explorer/``, where chapter 8's explorer (``book/_static/latent-explorer.js``,
placed by the ``latent-explorer`` directive of ``book/_ext/latent_explorer.py``) loads it:

- ``conv_vae_2d.safetensors``, ``conv_vae_12d.safetensors``: each checkpoint's decoder, its tensors
  in float32 and, in the file's metadata, the layers to run them through (:func:`decoder_layers`);
- ``explorer-data.safetensors``: the test set's 2-D map (posterior means under ``conv_vae_2d`` and
  the labels), and for one test image per class its pixels, its 12-D posterior mean and its KL per
  latent dimension under ``conv_vae_12d``.

The format is safetensors (an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range, then the raw little-endian data): a standard file that the
``safetensors`` package, and ``torch`` through it, read as they are, and that the browser parses in
a few lines. Each export is read back and checked here: the decoder rebuilt from the file decodes
random codes to the very pixels of the checkpoint's (the browser's own decoder is checked against
PyTorch by ``tests/test_latent_explorer.py``).

Why the browser runs these decoders in plain JavaScript rather than through ONNX and
onnxruntime-web: see the comment at the top of ``book/_static/latent-explorer.js`` (the measured
download, time per decode and agreement with PyTorch of both routes).
"""

from __future__ import annotations

import copy
import json
import struct
from pathlib import Path

import torch
from torch import nn

MODELS = ("conv_vae_2d", "conv_vae_12d")  # the decoders the page runs: the map's, and the sliders'
MAP_MODEL, SLIDERS_MODEL = MODELS
DATA_FILE = "explorer-data.safetensors"
FORMAT = "vae-course-decoder/1"  # the metadata's "format": what the browser's decoder understands
DATA_FORMAT = "vae-course-explorer-data/1"
DTYPES = {torch.float32: "F32", torch.uint8: "U8", torch.int32: "I32"}  # torch dtype -> safetensors name
CHECK_CODES = 64  # random codes decoded by the rebuilt decoder in the read-back check


def write_safetensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> int:
    """Write ``tensors`` (float32, uint8 or int32; stored contiguous, little-endian) to a safetensors file.

    Returns:
        The file's size in bytes.
    """
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, tensor in tensors.items():
        if tensor.dtype not in DTYPES:
            raise TypeError(f"{name}: the browser reads {sorted(DTYPES.values())}, not {tensor.dtype}")
        array = tensor.detach().cpu().contiguous().numpy()
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": DTYPES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned: typed arrays can view it in place
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))
    return path.stat().st_size


def read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and the metadata of a file written by :func:`write_safetensors`."""
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    by_name = {name: dtype for dtype, name in DTYPES.items()}
    tensors = {}
    for name, entry in header.items():
        start, end = (8 + length + offset for offset in entry["data_offsets"])
        tensors[name] = torch.frombuffer(bytearray(raw[start:end]), dtype=by_name[entry["dtype"]]).reshape(
            entry["shape"]
        )
    return tensors, metadata


def decoder_layers(decoder: nn.Sequential) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """The layers of a decoder as the browser runs them, and their tensors by the layers' names.

    Supported: ``Linear``, ``ReLU``, ``Sigmoid``, ``Unflatten`` and ``ConvTranspose2d`` (square kernel,
    equal strides and paddings, no groups, dilation or output padding): all that the course's
    convolutional VAE decodes with. Anything else is refused rather than exported wrong.

    Returns:
        ``(layers, tensors)``: e.g. ``{"op": "linear", "weight": "0.weight", "bias": "0.bias"}``, one
        per module in order; ``tensors`` maps those names to the float32 parameters.
    """
    layers, tensors = [], {}
    for index, module in enumerate(decoder):
        if isinstance(module, nn.Linear):
            layer = {"op": "linear"}
        elif isinstance(module, nn.ConvTranspose2d):
            kernel, stride, padding = module.kernel_size, module.stride, module.padding
            if (
                len(set(kernel)) != 1 or len(set(stride)) != 1 or len(set(padding)) != 1 or module.groups != 1
                or set(module.dilation) != {1} or set(module.output_padding) != {0}
            ):  # fmt: skip
                raise ValueError(
                    f"decoder[{index}]: the browser runs only plain square transposed convolutions: {module}"
                )
            layer = {"op": "conv_transpose2d", "stride": stride[0], "padding": padding[0]}
        elif isinstance(module, nn.Unflatten):
            layer = {"op": "reshape", "shape": list(module.unflattened_size)}
        elif isinstance(module, (nn.ReLU, nn.Sigmoid)):
            layers.append({"op": type(module).__name__.lower()})
            continue
        else:
            raise ValueError(f"decoder[{index}]: the browser has no {type(module).__name__} layer")
        for name in ("weight", "bias"):
            parameter = getattr(module, name, None)
            if isinstance(parameter, torch.Tensor):
                tensors[f"{index}.{name}"] = parameter.detach().float()
                layer[name] = f"{index}.{name}"
        layers.append(layer)
    return layers, tensors


def export_decoder(model: nn.Module, name: str, path: Path) -> int:
    """Write ``model.decoder`` to ``path`` (:func:`decoder_layers` in the metadata); returns its size in bytes."""
    layers, tensors = decoder_layers(model.decoder)
    metadata = {"format": FORMAT, "model": name, "latent_dim": str(model.latent_dim), "layers": json.dumps(layers)}
    return write_safetensors(path, tensors, metadata)


def check_decoder_file(model: nn.Module, path: Path, seed: int = 0) -> None:
    """Raise unless the decoder rebuilt from ``path`` decodes random codes to exactly ``model``'s pixels."""
    tensors, metadata = read_safetensors(path)
    layers, _ = decoder_layers(model.decoder)
    if metadata.get("format") != FORMAT or int(metadata.get("latent_dim", -1)) != model.latent_dim:
        raise RuntimeError(f"{path}: its metadata does not describe a {model.latent_dim}-D {FORMAT} decoder")
    if json.loads(metadata["layers"]) != layers:
        raise RuntimeError(f"{path}: its layers are not the model's decoder's")
    rebuilt = copy.deepcopy(model.decoder)
    rebuilt.load_state_dict(tensors, strict=True)  # every parameter from the file, none left out
    codes = torch.randn(CHECK_CODES, model.latent_dim, generator=torch.Generator().manual_seed(seed))  # (N, D)
    with torch.no_grad():
        expected, actual = model.decoder(codes), rebuilt(codes)  # (N, 1, 28, 28) each
    if not torch.equal(actual, expected):
        raise RuntimeError(f"{path}: decodes differ from the checkpoint's by {(actual - expected).abs().max():.3g}")


def first_of_each_class(labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """The index of the first test image of each class, (num_classes,)."""
    return torch.stack([torch.nonzero(labels == k)[0, 0] for k in range(num_classes)])


def explorer_data(images: torch.Tensor, labels: torch.Tensor, map_model: nn.Module, sliders_model: nn.Module) -> dict:
    """What the explorer shows besides the decoders' output, as the tensors of ``explorer-data.safetensors``.

    Args:
        images: the test set, (N, 1, 28, 28) in [0, 1]; labels: (N,).

    Returns:
        ``map_codes`` (N, 2) posterior means under the 2-D model and ``map_labels`` (N,); for the first
        test image of each class, ``slider_indices`` (10,), ``slider_images`` (10, 784) as bytes,
        ``slider_mu`` (10, D) posterior means and ``slider_kl`` (10, D) KL per latent dimension in
        nats under the sliders' model, and ``mean_kl`` (D,), the test set's mean KL per dimension.
    """
    from vae_course import encode_means, kl_per_dimension

    chosen = first_of_each_class(labels)  # (10,)
    with torch.no_grad():
        mu, logvar = sliders_model.eval().encode(images)  # (N, D) each
    kl = kl_per_dimension(mu, logvar)  # (N, D)
    return {
        "map_codes": encode_means(map_model, images).float(),  # (N, 2)
        "map_labels": labels.to(torch.uint8),  # (N,)
        "slider_indices": chosen.to(torch.int32),  # (10,)
        "slider_images": (images[chosen].flatten(start_dim=1) * 255).round().to(torch.uint8),  # (10, 784)
        "slider_mu": mu[chosen].float(),  # (10, D)
        "slider_kl": kl[chosen].float(),  # (10, D)
        "mean_kl": kl.mean(dim=0).float(),  # (D,)
    }


def export_explorer(folder: Path) -> dict[str, int]:
    """Export both decoders (each read back and checked) and the explorer's data into ``folder``.

    Returns:
        ``{file name: size in bytes}``.
    """
    from vae_course import CLASS_NAMES, load_fashion_mnist, load_or_train

    folder.mkdir(parents=True, exist_ok=True)
    models = {name: load_or_train(name)[0].eval() for name in MODELS}
    sizes = {}
    for name, model in models.items():
        path = folder / f"{name}.safetensors"
        sizes[path.name] = export_decoder(model, name, path)
        check_decoder_file(model, path)
    test = load_fashion_mnist("test")
    data = explorer_data(test.images, test.labels, models[MAP_MODEL], models[SLIDERS_MODEL])
    metadata = {
        "format": DATA_FORMAT,
        "map_model": MAP_MODEL,
        "sliders_model": SLIDERS_MODEL,
        "class_names": json.dumps(CLASS_NAMES),  # label k's English name; the page words them in its edition's language
    }
    sizes[DATA_FILE] = write_safetensors(folder / DATA_FILE, data, metadata)
    return sizes
