/* The latent explorer of chapter 8: the course's trained decoders, run in the reader's browser.

   The page's `latent-explorer` directives (book/_ext/latent_explorer.py) leave hidden boxes that this
   script fills: the 2-D map of the test set beside a live decoded image (conv_vae_2d), and one
   slider per latent dimension around a test image's code (conv_vae_12d). With scripts off the boxes
   stay hidden and the chapter's static figures tell the story. The decoders and the data come from
   the site itself (_static/latent-explorer/, exported by scripts/build-book: book/_ext/browser_decoders.py).

   window.vaeExplorer.decode(modelName, code) -> Promise<Float32Array(784)>: the pixels in [0, 1] that
   the model decodes from `code` (an array of latent_dim numbers), row by row.
   window.vaeExplorer.interpolate(a, b, t, method) -> the code at t in [0, 1] on the path from code a
   to code b, "linear" or "spherical", as vae_course.interpolate computes it.

   Why plain JavaScript and not ONNX with onnxruntime-web. Each decoder is a Linear(D, 128), a
   Linear(128, 3136) and two ConvTranspose2d layers: about 2.1 million multiply-adds and 438,000
   weights (1.75 MB in float32). bench/bench_latent_explorer.py measures both routes in Debian's
   Chromium 156 (headless), on the same 200 random codes per model, the two pages taking turns, three
   rounds each. On the course's shared 2-core machine under a load of 15 to 20 (so the times are
   loose; compare them with each other), per decode, main thread's CPU time (and wall-clock):
     - this script (30 kB) with the two safetensors files (3.51 MB): 1.8 to 3.1 ms (8 to 16 ms)
       per decode; 3.54 MB downloaded; largest difference from PyTorch 1.3e-6 (float64 sums);
     - onnxruntime-web 1.30.0 (wasm backend, one thread: the page is not cross-origin isolated):
       0.4 to 1.0 ms (2 to 8 ms) per decode; 17.83 MB downloaded, 14.31 MB of it the runtime
       (ort.wasm.min.js, ort-wasm-simd-threaded.mjs and .wasm) and 3.52 MB the .onnx files;
       largest difference 1.1e-6.
   Both are within a 16.7 ms frame and far within 1e-4 of PyTorch. The runtime's SIMD kernels are
   three to four times faster, but it makes the page download five times as much, all of it before
   the first image, to save about two milliseconds a reader cannot see. So the page runs the layers
   itself, from standard safetensors files. tests/test_latent_explorer.py prints this script's time
   per decode and the page's added download on every run.
*/
(() => {
  "use strict";

  const SCRIPT_URL = document.currentScript ? document.currentScript.src : document.baseURI;
  const DATA_URL = new URL("latent-explorer/", SCRIPT_URL); // _static/latent-explorer/
  const MODELS = ["conv_vae_2d", "conv_vae_12d"];
  const DECODER_FORMAT = "vae-course-decoder/1"; // browser_decoders.FORMAT
  const IMAGE_SIDE = 28;

  // ---- safetensors: an 8-byte little-endian header length, a JSON header, then the raw data ----

  const TYPED_ARRAYS = { F32: Float32Array, U8: Uint8Array, I32: Int32Array };

  function readSafetensors(buffer) {
    const view = new DataView(buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength)));
    const metadata = header.__metadata__ || {};
    delete header.__metadata__;
    const tensors = {};
    for (const [name, { dtype, shape, data_offsets: [start, end] }] of Object.entries(header)) {
      const Type = TYPED_ARRAYS[dtype];
      if (!Type) throw new Error(`${name}: unsupported dtype ${dtype}`);
      const begin = 8 + headerLength + start; // 8-byte aligned: the exporter pads the header
      tensors[name] = { shape, data: new Type(buffer, begin, (end - start) / Type.BYTES_PER_ELEMENT) };
    }
    return { tensors, metadata };
  }

  async function fetchSafetensors(file) {
    const response = await fetch(new URL(file, DATA_URL));
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
    return readSafetensors(await response.arrayBuffer());
  }

  // ---- the layers, in float64 (JavaScript's numbers) from the float32 weights ----
  // Both layers that do the work scatter: each input value adds itself, times a row of weights, to
  // the outputs it reaches (y[j] += v * w[j], contiguous). An input that is exactly zero adds nothing
  // and is skipped; after a ReLU most are (about 70% of the 3136 values before the first transposed
  // convolution, half of the 128 before the second Linear), which makes a decode about three times
  // cheaper than running every multiply-add. Skipping exact zeros changes no sum.

  // y = W x + b, with W given as PyTorch's (out, in) and laid out (in, out) once.
  function linearLayer(weight, bias) {
    const [outFeatures, inFeatures] = weight.shape;
    const w = new Float32Array(weight.data.length); // (in, out)
    for (let o = 0; o < outFeatures; o++) for (let i = 0; i < inFeatures; i++) w[i * outFeatures + o] = weight.data[o * inFeatures + i];
    return x => {
      const y = Float64Array.from(bias.data);
      for (let i = 0; i < inFeatures; i++) {
        const v = x[i];
        if (v === 0) continue;
        for (let o = 0, row = i * outFeatures; o < outFeatures; o++) y[o] += v * w[row + o];
      }
      return y;
    };
  }

  // PyTorch's ConvTranspose2d: input pixel (ci, iy, ix) adds itself times w[ci, co, ky, kx] to output
  // pixel (co, iy * stride - padding + ky, ix * stride - padding + kx) for every co and kernel tap.
  // Activations are channels-last, (H, W, C), and the weights laid out (k, k, C_in, C_out) once: for
  // one tap and one input pixel, the loops over the channels read both arrays in order.
  function convTranspose2dLayer(weight, bias, stride, padding) {
    const [inChannels, outChannels, kernel] = weight.shape; // PyTorch's (C_in, C_out, k, k)
    const w = new Float32Array(weight.data.length); // (k, k, C_in, C_out)
    for (let ci = 0; ci < inChannels; ci++)
      for (let co = 0; co < outChannels; co++)
        for (let k = 0; k < kernel * kernel; k++)
          w[(k * inChannels + ci) * outChannels + co] = weight.data[(ci * outChannels + co) * kernel * kernel + k];
    // reach(inSize, outSize)[i]: the kernel taps k, with the output pixels o = i * stride - padding + k, that input pixel i reaches.
    const reach = (inSize, outSize) => Array.from({ length: inSize }, (_, i) =>
      [...Array(kernel).keys()].map(k => [k, i * stride - padding + k]).filter(([, o]) => o >= 0 && o < outSize));
    return (x, [height, width]) => {
      const outHeight = (height - 1) * stride - 2 * padding + kernel;
      const outWidth = (width - 1) * stride - 2 * padding + kernel;
      const rows = reach(height, outHeight), columns = reach(width, outWidth);
      const block = inChannels * outChannels; // the weights of one kernel tap
      const y = new Float64Array(outHeight * outWidth * outChannels);
      for (let p = 0; p < outHeight * outWidth; p++) y.set(bias.data, p * outChannels);
      const channels = new Int32Array(inChannels), values = new Float64Array(inChannels); // an input pixel's non-zero channels
      for (let iy = 0; iy < height; iy++) {
        for (let ix = 0; ix < width; ix++) {
          let count = 0;
          for (let ci = 0, input = (iy * width + ix) * inChannels; ci < inChannels; ci++) {
            if (x[input + ci] !== 0) (channels[count] = ci), (values[count++] = x[input + ci]);
          }
          for (const [ky, oy] of rows[iy]) {
            for (const [kx, ox] of columns[ix]) {
              const tap = (ky * kernel + kx) * block, to = (oy * outWidth + ox) * outChannels;
              for (let j = 0; j < count; j++) {
                const v = values[j], from = tap + channels[j] * outChannels;
                for (let co = 0; co < outChannels; co++) y[to + co] += v * w[from + co];
              }
            }
          }
        }
      }
      return { y, shape: [outHeight, outWidth, outChannels] };
    };
  }

  // (C, H, W) <-> (H, W, C)
  function toChannelsLast(x, [channels, height, width]) {
    const y = new Float64Array(x.length), plane = height * width;
    for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) y[p * channels + c] = x[c * plane + p];
    return y;
  }
  function toChannelsFirst(x, [height, width, channels]) {
    const y = new Float64Array(x.length), plane = height * width;
    for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) y[c * plane + p] = x[p * channels + c];
    return y;
  }

  // A decoder from its exported file: a function from a code to its pixels, channels first (784 here).
  function makeDecoder({ tensors, metadata }) {
    if (metadata.format !== DECODER_FORMAT) throw new Error(`not a ${DECODER_FORMAT} file`);
    const latentDim = Number(metadata.latent_dim);
    // Each step maps (x, shape) to {y, shape}; a shape of three numbers is (H, W, C), channels last.
    const steps = JSON.parse(metadata.layers).map(layer => {
      switch (layer.op) {
        case "linear": {
          const run = linearLayer(tensors[layer.weight], tensors[layer.bias]);
          return (x, shape) => ({ y: run(shape ? toChannelsFirst(x, shape) : x), shape: null });
        }
        case "relu":
          return x => { // in place: every step's output is a new array of its own
            for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0;
            return { y: x };
          };
        case "sigmoid":
          return x => {
            for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
            return { y: x };
          };
        case "reshape": { // PyTorch's Unflatten to (C, H, W)
          const [channels, height, width] = layer.shape;
          return x => ({ y: toChannelsLast(x, layer.shape), shape: [height, width, channels] });
        }
        case "conv_transpose2d": {
          const run = convTranspose2dLayer(tensors[layer.weight], tensors[layer.bias], layer.stride, layer.padding);
          return (x, shape) => run(x, shape);
        }
        default:
          throw new Error(`unknown layer ${layer.op}`);
      }
    });
    return code => {
      if (code.length !== latentDim) throw new Error(`${metadata.model} decodes ${latentDim}-D codes, got ${code.length}`);
      let x = Float64Array.from(code, Number), shape = null;
      for (const step of steps) {
        const result = step(x, shape);
        x = result.y;
        if ("shape" in result) shape = result.shape;
      }
      return Float32Array.from(shape ? toChannelsFirst(x, shape) : x);
    };
  }

  const decoders = new Map(); // model name -> Promise of its decoder
  function loadDecoder(name) {
    if (!MODELS.includes(name)) return Promise.reject(new Error(`no model ${name}; the page has ${MODELS.join(", ")}`));
    if (!decoders.has(name)) decoders.set(name, fetchSafetensors(`${name}.safetensors`).then(makeDecoder));
    return decoders.get(name);
  }

  async function decode(name, code) {
    const run = await loadDecoder(name), values = Array.from(code, Number);
    if (!values.every(Number.isFinite)) throw new TypeError(`a code is an array of finite numbers, got ${code}`);
    return run(values);
  }

  // ---- the explorer's boxes ----

  const CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]; // matplotlib's tab10, as latent_scatter draws the static map
  const DATA_FORMAT = "vae-course-explorer-data/1"; // browser_decoders.DATA_FORMAT
  const PATH_STEPS = 10; // images in the strip along an interpolation path (the chapter's figures show 10)
  const PLAY_MS = 1600; // one interpolation, start to end
  const KEY_STEP = 0.1, KEY_STEP_FAST = 0.5; // how far an arrow key moves the point, in latent units

  let explorerData = null;
  function loadData() {
    explorerData = explorerData || fetchSafetensors("explorer-data.safetensors").then(file => {
      if (file.metadata.format !== DATA_FORMAT) throw new Error(`explorer-data.safetensors is not ${DATA_FORMAT}`);
      return file;
    });
    return explorerData;
  }

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => values[key]);
  const fixed = (value, digits = 2) => (Object.is(Math.round(value * 10 ** digits), -0) ? 0 : value).toFixed(digits);
  const signed = value => (value >= 0 ? "+" : "−") + Math.abs(value).toFixed(1);

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  // Draw 784 pixels in [0, 1] on a 28 x 28 canvas, dark ink on white (matplotlib's gray_r, as the figures).
  function drawImage(canvas, pixels) {
    const context = canvas.getContext("2d"), image = context.createImageData(IMAGE_SIDE, IMAGE_SIDE);
    for (let i = 0; i < pixels.length; i++) {
      const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[i]))));
      image.data.set([grey, grey, grey, 255], 4 * i);
    }
    context.putImageData(image, 0, 0);
  }
  const imageCanvas = (label, className = "lx-image") =>
    element("canvas", { class: className, width: IMAGE_SIDE, height: IMAGE_SIDE, role: "img", "aria-label": label });

  // Linear and spherical interpolation, as vae_course.latent's (slerp falls back to the line when the
  // codes are (anti)parallel or zero).
  function interpolate(a, b, t, method) {
    if (method === "spherical") {
      const norms = Math.hypot(...a) * Math.hypot(...b);
      const cosine = norms > 0 ? a.reduce((sum, v, i) => sum + v * b[i], 0) / norms : 1;
      const omega = Math.acos(Math.min(1, Math.max(-1, cosine)));
      if (Math.abs(Math.sin(omega)) >= 1e-6) {
        const wa = Math.sin((1 - t) * omega) / Math.sin(omega), wb = Math.sin(t * omega) / Math.sin(omega);
        return a.map((v, i) => wa * v + wb * b[i]);
      }
    }
    return a.map((v, i) => (1 - t) * v + t * b[i]);
  }

  function mapExplorer(box, words, data, run) {
    const codes = data.tensors.map_codes.data, labels = data.tensors.map_labels.data;
    const classNames = JSON.parse(data.metadata.class_names).map(name => words.classes[name]);
    let radius = 0; // the map shows [-radius, radius] on both axes, centred on the prior's mean
    for (const v of codes) radius = Math.max(radius, Math.abs(v));
    radius = Math.ceil(radius + 0.25);
    const state = { cursor: [0, 0], picks: [], method: "linear", playing: null };

    const keysId = `lx-keys-${Math.random().toString(36).slice(2)}`;
    const map = element("canvas", { class: "lx-map", tabindex: "0", role: "application", "aria-label": words.map, "aria-describedby": keysId });
    const legend = element("ul", { class: "lx-legend", "aria-label": words.legend },
      classNames.map((name, k) => element("li", {}, [element("span", { class: "lx-swatch", style: `background:${CLASS_COLOURS[k]}` }), name])));
    const image = imageCanvas(words.image);
    const position = element("p", { class: "lx-position" });
    const status = element("p", { class: "lx-status", "aria-live": "polite" });
    const methods = element("fieldset", { class: "lx-methods" }, [element("legend", { text: words.interpolation }),
      ...["linear", "spherical"].map(method => element("label", {}, [
        element("input", { type: "radio", name: `${keysId}-method`, value: method, ...(method === state.method ? { checked: "" } : {}) }), ` ${words[method]}`]))]);
    const play = element("button", { type: "button", class: "lx-button", text: words.play, disabled: "" });
    const clear = element("button", { type: "button", class: "lx-button", text: words.clear, disabled: "" });
    const strip = element("div", { class: "lx-strip", role: "group", "aria-label": words.path },
      Array.from({ length: PATH_STEPS }, (_, i) => imageCanvas(`${words.path}: ${i + 1}`, "lx-thumb")));
    strip.hidden = true;
    box.append(
      element("div", { class: "lx-layout" }, [
        element("div", { class: "lx-map-panel" }, [map, legend]),
        element("div", { class: "lx-side" }, [image, position, methods, element("div", { class: "lx-buttons" }, [play, clear]), status,
          element("p", { class: "lx-keys", id: keysId, text: words.keys })]),
      ]),
      strip,
    );

    const nearestClass = z => {
      let best = Infinity, label = 0;
      for (let i = 0; i < labels.length; i++) {
        const d = (codes[2 * i] - z[0]) ** 2 + (codes[2 * i + 1] - z[1]) ** 2;
        if (d < best) (best = d), (label = labels[i]);
      }
      return classNames[label];
    };
    const show = z => {
      drawImage(image, run(z));
      box.dataset.decodes = Number(box.dataset.decodes || 0) + 1;
      position.textContent = fill(words.position, { z1: fixed(z[0]), z2: fixed(z[1]), name: nearestClass(z) });
    };

    // The map: the test codes drawn once into a layer of their own, the points and the path over them.
    let points = null;
    const toCanvas = ([z1, z2]) => [((z1 + radius) / (2 * radius)) * map.width, ((radius - z2) / (2 * radius)) * map.height];
    const toCode = (x, y) => [(x / map.clientWidth) * 2 * radius - radius, radius - (y / map.clientHeight) * 2 * radius];
    function drawPoints() {
      const scale = window.devicePixelRatio || 1, side = Math.max(1, Math.round(map.clientWidth * scale));
      map.width = map.height = side;
      points = document.createElement("canvas");
      points.width = points.height = side;
      const context = points.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, side, side);
      context.strokeStyle = "#e4e4e4";
      context.fillStyle = "#777";
      context.font = `${11 * scale}px sans-serif`;
      for (let v = -radius + 1; v < radius; v++) { // a grid line at every integer, labelled on the axes
        const [x, y] = toCanvas([v, v]);
        context.beginPath();
        context.moveTo(x, 0), context.lineTo(x, side), context.moveTo(0, y), context.lineTo(side, y);
        context.stroke();
        context.fillText(String(v), x + 2 * scale, side - 3 * scale);
        if (v !== 0) context.fillText(String(v), 2 * scale, y - 2 * scale);
      }
      context.fillText("z₁ →", side - 34 * scale, side - 14 * scale);
      context.fillText("z₂ ↑", 4 * scale, 14 * scale);
      context.globalAlpha = 0.6;
      const dot = Math.max(1.5, 1.6 * scale);
      for (let k = 0; k < classNames.length; k++) { // class by class, as matplotlib draws the figure
        context.fillStyle = CLASS_COLOURS[k];
        for (let i = 0; i < labels.length; i++) {
          if (labels[i] !== k) continue;
          const [x, y] = toCanvas([codes[2 * i], codes[2 * i + 1]]);
          context.fillRect(x - dot / 2, y - dot / 2, dot, dot);
        }
      }
      drawMap();
    }
    function drawMap(current = null) {
      const context = map.getContext("2d"), scale = window.devicePixelRatio || 1;
      context.drawImage(points, 0, 0);
      const marker = (z, fillStyle, size) => {
        const [x, y] = toCanvas(z);
        context.beginPath();
        context.arc(x, y, size * scale, 0, 2 * Math.PI);
        context.fillStyle = fillStyle;
        context.fill();
        context.lineWidth = 1.5 * scale;
        context.strokeStyle = "#000";
        context.stroke();
      };
      if (state.picks.length === 2) {
        context.beginPath();
        for (let i = 0; i <= 40; i++) context.lineTo(...toCanvas(interpolate(...state.picks, i / 40, state.method)));
        context.lineWidth = 2 * scale;
        context.strokeStyle = "#000";
        context.stroke();
      }
      state.picks.forEach((z, i) => marker(z, i === 0 ? "#fff" : "#000", 5));
      const [x, y] = toCanvas(current || state.cursor); // the decoded point: a cross
      context.lineWidth = 2 * scale;
      context.strokeStyle = "#000";
      context.beginPath();
      context.moveTo(x - 7 * scale, y), context.lineTo(x + 7 * scale, y), context.moveTo(x, y - 7 * scale), context.lineTo(x, y + 7 * scale);
      context.stroke();
    }

    // Decoding follows the pointer at most once a frame; a playing interpolation owns the image.
    let pending = false;
    const update = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        if (state.playing) return;
        show(state.cursor);
        drawMap();
      });
    };
    const moveTo = z => {
      state.cursor = z.map(v => Math.min(radius, Math.max(-radius, v)));
      update();
    };

    function stop() {
      if (state.playing) cancelAnimationFrame(state.playing);
      state.playing = null;
      box.dataset.state = "ready";
    }
    function startPlaying() {
      stop();
      const [a, b] = state.picks;
      strip.hidden = false;
      strip.querySelectorAll("canvas").forEach((canvas, i) => drawImage(canvas, run(interpolate(a, b, i / (PATH_STEPS - 1), state.method))));
      status.textContent = fill(words.playing, { method: words[state.method], a1: fixed(a[0]), a2: fixed(a[1]), b1: fixed(b[0]), b2: fixed(b[1]) });
      box.dataset.state = "playing";
      box.dataset.plays = Number(box.dataset.plays || 0) + 1;
      const start = performance.now();
      const frame = now => {
        const t = Math.min(1, (now - start) / PLAY_MS), z = interpolate(a, b, t, state.method);
        show(z);
        drawMap(z);
        if (t < 1) state.playing = requestAnimationFrame(frame);
        else (state.cursor = z), stop();
      };
      state.playing = requestAnimationFrame(frame);
    }
    function pick(z) {
      if (state.picks.length === 2) state.picks = [];
      state.picks.push(z.slice());
      play.disabled = state.picks.length < 2;
      clear.disabled = false;
      if (state.picks.length === 2) startPlaying();
      else (status.textContent = fill(words.start, { z1: fixed(z[0]), z2: fixed(z[1]) })), stop(), drawMap();
    }
    function clearPicks() {
      stop();
      state.picks = [];
      play.disabled = clear.disabled = true;
      strip.hidden = true;
      status.textContent = "";
      update();
    }

    const pointer = event => {
      const box = map.getBoundingClientRect();
      return toCode(event.clientX - box.left, event.clientY - box.top);
    };
    map.addEventListener("pointermove", event => moveTo(pointer(event)));
    map.addEventListener("pointerdown", event => moveTo(pointer(event))); // a finger decodes where it lands
    map.addEventListener("click", event => pick(pointer(event)));
    map.addEventListener("keydown", event => {
      const step = event.shiftKey ? KEY_STEP_FAST : KEY_STEP;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[event.key]) {
        moveTo(state.cursor.map((v, i) => Math.round((v + moves[event.key][i]) * 100) / 100));
        status.textContent = position.textContent;
      } else if (event.key === "Enter" || event.key === " ") {
        pick(state.cursor);
      } else if (event.key === "Home") {
        moveTo([0, 0]);
        status.textContent = position.textContent;
      } else if (event.key === "Escape") {
        clearPicks();
      } else {
        return;
      }
      event.preventDefault(); // the arrows and the space bar would scroll the page
    });
    methods.addEventListener("change", event => {
      state.method = event.target.value;
      if (state.picks.length === 2) startPlaying();
    });
    play.addEventListener("click", () => state.picks.length === 2 && startPlaying());
    clear.addEventListener("click", clearPicks);
    new ResizeObserver(() => map.clientWidth && Math.round(map.clientWidth * (window.devicePixelRatio || 1)) !== map.width && drawPoints()).observe(map);
    drawPoints();
    show(state.cursor);
    box.dataset.state = "ready";
  }

  function slidersExplorer(box, words, data, run) {
    const { slider_indices: indices, slider_images: images, slider_mu: mus, slider_kl: kls, mean_kl: meanKl } = data.tensors;
    const [count, latentDim] = mus.shape;
    const classNames = JSON.parse(data.metadata.class_names);
    const labelOf = index => words.classes[classNames[data.tensors.map_labels.data[index]]];
    const id = `lx-${Math.random().toString(36).slice(2)}`;
    const choose = element("select", { id: `${id}-choose` }, Array.from({ length: count }, (_, c) =>
      element("option", { value: c, text: fill(words.option, { name: labelOf(indices.data[c]), index: indices.data[c] }) })));
    const original = imageCanvas(words.original), decoded = imageCanvas(words.decoded);
    const reset = element("button", { type: "button", class: "lx-button", text: words.reset });
    const rows = Array.from({ length: latentDim }, (_, d) => {
      const slider = element("input", { type: "range", min: "-3", max: "3", step: "0.1", value: "0", id: `${id}-z${d + 1}` });
      const value = element("output", { for: slider.id, class: "lx-offset" });
      const bar = element("span", { class: "lx-kl-bar" }), number = element("span", { class: "lx-kl-value" });
      const kl = element("span", { class: "lx-kl" }, [bar, number]);
      const row = element("div", { class: "lx-slider" }, [element("label", { for: slider.id }, [`z`, element("sub", { text: d + 1 })]), slider, value, kl]);
      return { slider, value, bar, number, kl, row };
    });
    box.append(
      element("p", { class: "lx-choose" }, [element("label", { for: choose.id, text: `${words.choose}: ` }), choose]),
      element("div", { class: "lx-sliders-layout" }, [
        element("div", { class: "lx-pair" }, [
          element("figure", {}, [original, element("figcaption", { text: words.original })]),
          element("figure", {}, [decoded, element("figcaption", { text: words.decoded })]),
        ]),
        element("div", { class: "lx-table" }, [
          element("div", { class: "lx-slider lx-head", "aria-hidden": "true" }, [
            element("span"), element("span", { class: "lx-head-offset", text: words.offset }), element("span", { text: words.kl })]),
          ...rows.map(r => r.row),
          element("div", { class: "lx-buttons" }, [reset]),
        ]),
      ]),
    );

    let chosen = 0, pending = false;
    const code = () => rows.map((r, d) => mus.data[chosen * latentDim + d] + Number(r.slider.value));
    const update = () => {
      rows.forEach((r, d) => {
        const mu = mus.data[chosen * latentDim + d];
        r.value.textContent = signed(Number(r.slider.value));
        r.slider.setAttribute("aria-valuetext", `${signed(Number(r.slider.value))}, z${d + 1} = ${fixed(mu + Number(r.slider.value))}`);
      });
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        drawImage(decoded, run(code()));
        box.dataset.decodes = Number(box.dataset.decodes || 0) + 1;
      });
    };
    function choosePicture(c) {
      chosen = c;
      const pixels = images.data.subarray(c * IMAGE_SIDE * IMAGE_SIDE, (c + 1) * IMAGE_SIDE * IMAGE_SIDE);
      drawImage(original, Float32Array.from(pixels, v => v / 255));
      const largest = Math.max(...kls.data.subarray(c * latentDim, (c + 1) * latentDim), 1e-9);
      rows.forEach((r, d) => {
        const kl = kls.data[c * latentDim + d], mu = mus.data[c * latentDim + d];
        r.slider.value = "0";
        r.slider.setAttribute("aria-label", fill(words.slider, { d: d + 1, mu: fixed(mu) }));
        r.bar.style.width = `${(100 * kl) / largest}%`;
        r.number.textContent = fixed(kl);
        r.kl.title = fill(words.kl_title, { d: d + 1, kl: fixed(kl), mean: fixed(meanKl.data[d]) });
      });
      update();
    }
    rows.forEach(r => r.slider.addEventListener("input", update));
    choose.addEventListener("change", () => choosePicture(Number(choose.value)));
    reset.addEventListener("click", () => choosePicture(chosen));
    choose.value = String(Math.max(0, Array.from(indices.data).indexOf(0))); // the chapter's ankle boot, test image 0
    choosePicture(Number(choose.value));
    box.dataset.state = "ready";
  }

  async function startBox(box) {
    const words = JSON.parse(box.dataset.words);
    box.hidden = false;
    box.dataset.state = "loading";
    const note = element("p", { class: "lx-note", text: words.loading });
    box.append(note);
    try {
      const [data, run] = await Promise.all([loadData(), loadDecoder(box.dataset.model)]);
      note.remove();
      (box.dataset.kind === "map" ? mapExplorer : slidersExplorer)(box, words, data, run);
    } catch (error) {
      note.textContent = fill(words.error, { error: error.message });
      box.dataset.state = "error";
      throw error;
    }
  }

  // Each box starts when it first comes near the screen: a reader who never scrolls there downloads nothing.
  function startBoxes() {
    const boxes = document.querySelectorAll(".latent-explorer[data-kind]");
    const observer = new IntersectionObserver(entries => entries.forEach(entry => {
      if (!entry.isIntersecting) return;
      observer.unobserve(entry.target);
      startBox(entry.target);
    }), { rootMargin: "600px 0px" });
    boxes.forEach(box => {
      box.hidden = false; // laid out, so that it can be observed
      observer.observe(box);
    });
  }

  window.vaeExplorer = { decode, interpolate, models: MODELS.slice() };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startBoxes);
  else startBoxes();
})();
