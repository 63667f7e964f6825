/*
 * aebook-widgets.js: the book's interactive figures, run in the reader's browser.
 *
 * A latent explorer is an element <div class="aebook-latent-explorer" data-src="...js">.
 * The file (described by aebook.widgets during the chapter's full-profile run, published
 * by booktools.widgets)
 * holds small dense decoders from a 2-D code to a 28x28 image and the 2-D codes of test
 * images. For each decoder the widget draws that scatter; moving the pointer (or a finger)
 * over it decodes the point under it and draws the image. Nothing is loaded from outside
 * the site, and nothing runs on pages without such an element.
 *
 * A drawing pad is <div class="aebook-drawing-pad" data-src="...js">: the reader draws on a
 * 28x28 grid, a dense autoencoder encodes and decodes the drawing, and the page shows the
 * code, the reconstruction and its squared error among the test digits' errors.
 *
 * Before building, every declared shape and count is checked against the data and against
 * limits (MAX_PARAMETERS, MAX_POINTS, MAX_ERRORS), layer sizes must chain, and weights,
 * points and errors must be finite (errors sorted); otherwise the element shows the page's
 * fallback text and why, and the widget never reports "ready".
 *
 * Keyboard: each latent plane is focusable and its arrow keys move its own point; the
 * drawing pad is focusable and has a pen that the arrow keys move, space puts down or lifts,
 * and Delete clears (an outline marks the pen).
 *
 * For the tests, window.aebookWidgets.latent and .drawing expose what the widgets computed.
 */
(function () {
  "use strict";

  var COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  function bytes(b64) {
    var text = atob(b64), out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function halfToFloat(h) {  // IEEE 754 half precision -> number
    var sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
    if (exp === 0) return sign * Math.pow(2, -14) * (frac / 1024);
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * Math.pow(2, exp - 15) * (1 + frac / 1024);
  }

  function float16Array(b64) {  // little-endian float16 -> Float32Array
    var raw = bytes(b64), view = new DataView(raw.buffer), n = raw.length / 2;
    var out = new Float32Array(n);
    for (var i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
    return out;
  }

  /* The weights files' format version and the activations this forward pass implements;
   * a test compares both with aebook.widgets.FORMAT and ACTIVATIONS. */
  var FORMAT = 1;
  var ACTIVATIONS = {
    linear: function (s) { return s; },
    relu: function (s) { return s > 0 ? s : 0; },
    sigmoid: function (s) { return 1 / (1 + Math.exp(-s)); }
  };

  /* Limits on what a weights file may declare, checked before anything is decoded or
   * allocated: the book's files hold two 200,000-parameter decoders, 10,000 points and
   * 10,000 errors, so these leave room and still keep a broken or hostile file from
   * freezing the page. */
  var MAX_PARAMETERS = 4000000;  // weights and biases of all a figure's layers together
  var MAX_POINTS = 100000;
  var MAX_ERRORS = 100000;

  function isCount(v, max) {
    return typeof v === "number" && Math.floor(v) === v && v >= 0 && v <= max;
  }

  function checkBase64(text, nBytes, what) {  // the declared size, before atob
    if (typeof text !== "string") throw new Error(what + " is not base64 text");
    var expected = 4 * Math.ceil(nBytes / 3);
    if (text.length !== expected) {
      throw new Error(what + " holds " + Math.floor(text.length * 3 / 4) + " bytes, but its " +
                      "declared size needs " + nBytes);
    }
  }

  function checkFinite(values, what) {
    for (var i = 0; i < values.length; i++) {
      if (!isFinite(values[i])) throw new Error(what + " holds NaN or infinite values");
    }
    return values;
  }

  /* The layers of a chain of dense layers, checked (declared shapes chained from nIn to
   * nOut, within the budget `limit.parameters`, data of the declared sizes, finite) and
   * decoded. Throws an Error naming the layer otherwise. */
  function decodeLayers(layers, what, nIn, nOut, limit) {
    if (!Array.isArray(layers) || layers.length === 0) throw new Error(what + " has no layers");
    var width = nIn;
    layers.forEach(function (l, i) {  // sizes first: nothing decoded or allocated yet
      var name = what + " layer " + (i + 1);
      if (!l || !Array.isArray(l.shape) || l.shape.length !== 2 ||
          !isCount(l.shape[0], Number.MAX_SAFE_INTEGER) ||
          !isCount(l.shape[1], Number.MAX_SAFE_INTEGER) ||
          l.shape[0] < 1 || l.shape[1] < 1) {
        throw new Error(name + " has no valid shape");
      }
      if (l.shape[0] !== width) {
        throw new Error(name + " takes " + l.shape[0] + " numbers but receives " + width);
      }
      limit.parameters -= l.shape[0] * l.shape[1] + l.shape[1];
      if (limit.parameters < 0) {
        throw new Error("the figure declares more than " + MAX_PARAMETERS + " weights");
      }
      if (!Object.prototype.hasOwnProperty.call(ACTIVATIONS, l.activation)) {
        throw new Error(name + ": unknown activation " + l.activation);
      }
      checkBase64(l.kernel, 2 * l.shape[0] * l.shape[1], name + "'s kernel");
      checkBase64(l.bias, 2 * l.shape[1], name + "'s bias");
      width = l.shape[1];
    });
    if (nOut !== null && width !== nOut) throw new Error(what + " gives " + width + " numbers, not " + nOut);
    return layers.map(function (l, i) {
      var name = what + " layer " + (i + 1);
      return { rows: l.shape[0], cols: l.shape[1],
               kernel: checkFinite(float16Array(l.kernel), name + "'s kernel"),
               bias: checkFinite(float16Array(l.bias), name + "'s bias"),
               activation: l.activation, act: ACTIVATIONS[l.activation] };
    });
  }

  function forward(layers, input) {  // dense layers: h = act(h W + b)
    var h = Float32Array.from(input);
    layers.forEach(function (l) {
      var out = new Float32Array(l.cols);
      for (var j = 0; j < l.cols; j++) {
        var s = l.bias[j];
        for (var i = 0; i < l.rows; i++) s += h[i] * l.kernel[i * l.cols + j];
        out[j] = l.act(s);
      }
      h = out;
    });
    return h;
  }

  function drawImage(canvas, pixels) {
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(28, 28);
    for (var i = 0; i < 784; i++) {
      var v = Math.round(255 * Math.min(1, Math.max(0, pixels[i])));
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function el(tag, attrs, parent) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }

  /* The panel's decoder and points, checked; throws before anything is drawn. */
  function checkPanel(title, panel, doc, limit) {
    if (!panel || typeof panel.extent !== "number" || !isFinite(panel.extent) ||
        panel.extent <= 0) {
      throw new Error(title + ": the extent must be a positive number");
    }
    var layers = decodeLayers(panel.layers, title, 2, 784, limit);
    checkBase64(panel.points, 4 * doc.n_points, title + "'s points");
    return { layers: layers,
             points: checkFinite(float16Array(panel.points), title + "'s points") };
  }

  function buildPanel(root, title, panel, checked, doc, state) {
    var SIZE = 300, extent = panel.extent;
    var box = el("figure", { "class": "aebook-panel" }, root);
    el("figcaption", {}, box).textContent = title;
    var row = el("div", { "class": "aebook-row" }, box);
    var plane = el("canvas", { width: SIZE, height: SIZE, "class": "aebook-plane",
                               "data-panel": title, role: "img", tabindex: "0",
                               "aria-label": title + ": the latent plane; move the pointer " +
                               "over it, or use the arrow keys" }, row);
    var out = el("canvas", { width: 28, height: 28, "class": "aebook-output",
                             "data-panel": title, role: "img",
                             "aria-label": title + ": the decoded image" }, row);
    var readout = el("p", { "class": "aebook-readout", "aria-live": "polite" }, box);
    var layers = checked.layers, pts = checked.points;
    var here = [0, 0];  // this panel's own position, which its arrow keys move from
    var background = document.createElement("canvas");
    background.width = background.height = SIZE;
    var bg = background.getContext("2d");
    bg.fillStyle = "#fff";
    bg.fillRect(0, 0, SIZE, SIZE);
    function toPx(v) { return (v + extent) / (2 * extent) * SIZE; }
    for (var i = 0; i < doc.n_points; i++) {
      bg.fillStyle = COLOURS[doc.labelsArray[i] % 10];
      bg.fillRect(toPx(pts[2 * i]) - 1, SIZE - toPx(pts[2 * i + 1]) - 1, 2, 2);
    }
    bg.strokeStyle = "#999";
    bg.beginPath();
    bg.moveTo(SIZE / 2, 0); bg.lineTo(SIZE / 2, SIZE);
    bg.moveTo(0, SIZE / 2); bg.lineTo(SIZE, SIZE / 2);
    bg.stroke();

    function show(z1, z2) {
      var pixels = forward(layers, [z1, z2]);
      drawImage(out, pixels);
      var ctx = plane.getContext("2d");
      ctx.drawImage(background, 0, 0);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(toPx(z1), SIZE - toPx(z2), 6, 0, 2 * Math.PI);
      ctx.stroke();
      readout.textContent = "code (" + z1.toFixed(2) + ", " + z2.toFixed(2) + ")";
      here = [z1, z2];
      state.panels[title].z = [z1, z2];
      state.last = { panel: title, z: [z1, z2], output: Array.from(pixels) };
    }
    function onPointer(event) {
      var r = plane.getBoundingClientRect();  // the drawing area, inside the border
      var fx = (event.clientX - r.left - plane.clientLeft) / plane.clientWidth;
      var fy = (event.clientY - r.top - plane.clientTop) / plane.clientHeight;
      if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return;
      event.preventDefault();
      show((2 * fx - 1) * extent, (1 - 2 * fy) * extent);
    }
    plane.addEventListener("pointermove", onPointer);
    plane.addEventListener("pointerdown", onPointer);
    plane.addEventListener("keydown", function (event) {  // arrow keys: 1/30 of the range
      var step = extent / 30, z = here;
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (!moves[event.key]) return;
      event.preventDefault();
      show(Math.max(-extent, Math.min(extent, z[0] + moves[event.key][0])),
           Math.max(-extent, Math.min(extent, z[1] + moves[event.key][1])));
    });
    state.panels[title] = { layers: layers, show: show, z: [0, 0],
                            decode: function (z1, z2) { return Array.from(forward(layers, [z1, z2])); } };
    show(0, 0);
  }

  /* Load a widget's file into `root`, check its kind, and build the widget from it with
   * `build(doc)`; `state` is exposed as window.aebookWidgets[name]. On any failure the
   * element says so, and state.error says why.
   *
   * The file is a script (aebook.widgets.script_text) that stores its document as
   * window.aebookWidgetFiles[NAME], NAME being the file's name without ".js". It is included
   * with a <script> element, not fetched, because browsers refuse fetch() on pages opened
   * from disk (file://), and the site must work there too. */
  function mount(root, name, kind, state, fallback, build) {
    state.ready = false;
    state.error = null;
    window.aebookWidgets = window.aebookWidgets || {};
    window.aebookWidgets[name] = state;
    var src = root.getAttribute("data-src");
    var key = src.split("/").pop().replace(/\.js$/, "");
    function fail(err) {  // the page's own words (data-fallback), else `fallback`
      state.error = String(err);
      root.textContent = (root.getAttribute("data-fallback") || fallback) + " (" + err + ").";
    }
    var script = document.createElement("script");
    script.src = src;
    script.onerror = function () { fail(new Error("could not load " + src)); };
    script.onload = function () {
      var files = window.aebookWidgetFiles || {};
      var doc = files[key];
      try {
        if (!doc) throw new Error(src + " does not define the figure " + key);
        if (doc.format !== FORMAT || doc.kind !== kind) throw new Error("not a " + kind + " file");
        root.textContent = "";
        build(doc);
        state.ready = true;
      } catch (err) {
        fail(err);
      }
    };
    document.head.appendChild(script);
  }

  function startExplorer(root) {
    var state = { panels: {}, last: null };
    mount(root, "latent", "latent explorer", state,
          "The interactive figure could not load",
          function (doc) {
        if (!isCount(doc.n_points, MAX_POINTS)) {
          throw new Error("n_points must be a whole number up to " + MAX_POINTS);
        }
        checkBase64(doc.labels, doc.n_points, "labels");
        doc.labelsArray = bytes(doc.labels);
        if (!doc.panels || typeof doc.panels !== "object" || !Object.keys(doc.panels).length) {
          throw new Error("the file has no panels");
        }
        var limit = { parameters: MAX_PARAMETERS }, checked = {};
        Object.keys(doc.panels).forEach(function (title) {  // all checked, then all built
          checked[title] = checkPanel(title, doc.panels[title], doc, limit);
        });
        Object.keys(doc.panels).forEach(function (title) {
          buildPanel(root, title, doc.panels[title], checked[title], doc, state);
        });
        var legend = el("p", { "class": "aebook-legend" }, root);
        legend.appendChild(document.createTextNode("test digits: "));
        COLOURS.forEach(function (colour, digit) {
          var key = el("span", { "class": "aebook-key" }, legend);
          key.style.background = colour;
          legend.appendChild(document.createTextNode(" " + digit + " "));
        });
      });
  }

  /* ---------------------------------------------------------------- drawing pad */

  var BRUSH_SIGMA = 0.9;  // pixels of the 28x28 grid
  var KEYS_HINT = "arrow keys move the pen (with Shift, four pixels), space puts it down " +
                  "or lifts it, Delete clears";

  function ink(input, x, y) {  // add a soft round dot of ink centred at (x, y)
    for (var r = Math.floor(y - 3); r <= Math.ceil(y + 3); r++) {
      for (var c = Math.floor(x - 3); c <= Math.ceil(x + 3); c++) {
        if (r < 0 || r > 27 || c < 0 || c > 27) continue;
        var d2 = (c + 0.5 - x) * (c + 0.5 - x) + (r + 0.5 - y) * (r + 0.5 - y);
        if (d2 > 9) continue;  // a round brush, 3 pixels in radius
        var v = Math.exp(-d2 / (2 * BRUSH_SIGMA * BRUSH_SIGMA));
        if (v > input[28 * r + c]) input[28 * r + c] = v;
      }
    }
  }

  function startPad(root) {
    var state = { input: null, code: null, output: null, mse: null, percentile: null };
    mount(root, "drawing", "drawing pad", state, "The drawing pad could not load",
          function (doc) {
        var limit = { parameters: MAX_PARAMETERS };
        var encoder = decodeLayers(doc.encoder, "the encoder", 784, null, limit);
        var codeSize = encoder[encoder.length - 1].cols;
        var decoder = decodeLayers(doc.decoder, "the decoder", codeSize, 784, limit);
        var encoderSigned = encoder[encoder.length - 1].activation === "linear";
        if (!isCount(doc.n_errors, MAX_ERRORS) || doc.n_errors < 1) {
          throw new Error("n_errors must be a whole number from 1 to " + MAX_ERRORS);
        }
        checkBase64(doc.errors, 4 * doc.n_errors, "the test errors");
        var errors = checkFinite(new Float32Array(bytes(doc.errors).buffer), "the test errors");
        for (var e = 0; e < errors.length; e++) {
          if (errors[e] < 0 || (e > 0 && errors[e] < errors[e - 1])) {
            throw new Error("the test errors must be non-negative and sorted");
          }
        }
        var input = new Float32Array(784);
        var row = el("div", { "class": "aebook-row" }, root);
        var left = el("figure", { "class": "aebook-panel" }, row);
        el("figcaption", {}, left).textContent = "draw here";
        var wrap = el("div", { "class": "aebook-pad-wrap" }, left);
        var pad = el("canvas", { width: 28, height: 28, "class": "aebook-pad",
                                 role: "application", tabindex: "0",
                                 "aria-label": "drawing pad, 28 by 28 pixels: draw with the " +
                                 "pointer, or with the keyboard: " + KEYS_HINT }, wrap);
        var cursor = el("div", { "class": "aebook-cursor", "aria-hidden": "true" }, wrap);
        cursor.hidden = true;
        var clear = el("button", { type: "button", "class": "aebook-clear" }, left);
        clear.textContent = "clear";
        el("p", { "class": "aebook-keys" }, left).textContent = "Keyboard: " + KEYS_HINT + ".";
        var right = el("figure", { "class": "aebook-panel" }, row);
        el("figcaption", {}, right).textContent = "reconstruction";
        var out = el("canvas", { width: 28, height: 28, "class": "aebook-output aebook-recon",
                                 role: "img", "aria-label": "the autoencoder's reconstruction" }, right);
        var codeBox = el("figure", { "class": "aebook-panel aebook-code" }, root);
        el("figcaption", {}, codeBox).textContent =
          "the code: " + encoder[encoder.length - 1].cols + " numbers";
        var bars = el("canvas", { width: 320, height: 60, "class": "aebook-bars", role: "img",
                                  "aria-label": "the code as bars" }, codeBox);
        var readout = el("p", { "class": "aebook-readout", "aria-live": "polite" }, root);

        function score() {  // compute: the code, the reconstruction and where its error ranks
          var code = forward(encoder, input), output = forward(decoder, code);
          var mse = 0;
          for (var i = 0; i < 784; i++) mse += (input[i] - output[i]) * (input[i] - output[i]);
          mse /= 784;
          var lo = 0, hi = errors.length;  // how many test errors are below mse
          while (lo < hi) { var mid = (lo + hi) >> 1; if (errors[mid] < mse) lo = mid + 1; else hi = mid; }
          return { code: code, output: output, mse: mse, percentile: 100 * lo / errors.length };
        }

        function drawBars(code) {  // the code as bars; a linear code goes up and down from the middle
          var ctx = bars.getContext("2d"), n = code.length, w = bars.width / n;
          var top = Math.max.apply(null, Array.from(code).map(Math.abs).concat([1e-6]));
          var base = encoderSigned ? bars.height / 2 : bars.height, room = base - 1;
          ctx.fillStyle = "#fff";
          ctx.fillRect(0, 0, bars.width, bars.height);
          ctx.fillStyle = "#444";
          for (var k = 0; k < n; k++) {
            var h = code[k] / top * room;
            if (h >= 0) ctx.fillRect(k * w + 1, base - h, w - 2, h);
            else ctx.fillRect(k * w + 1, base, w - 2, -h);
          }
          if (encoderSigned) {
            ctx.fillStyle = "#999";
            ctx.fillRect(0, base, bars.width, 1);
          }
        }

        function update() {  // compute, draw, and expose what was computed (for the tests)
          var result = score();
          drawImage(pad, input);
          drawImage(out, result.output);
          drawBars(result.code);
          var empty = !input.some(function (v) { return v > 0; });
          readout.textContent = empty ? "draw a digit on the pad" :
            "mean squared error " + result.mse.toFixed(4) + ": higher than " +
            result.percentile.toFixed(1) + " % of the test digits' errors";
          state.input = Array.from(input);
          state.code = Array.from(result.code);
          state.output = Array.from(result.output);
          state.mse = result.mse;
          state.percentile = result.percentile;
        }

        var last = null;
        function at(event) {  // grid coordinates, inside the pad's border
          var r = pad.getBoundingClientRect();
          return [(event.clientX - r.left - pad.clientLeft) / pad.clientWidth * 28,
                  (event.clientY - r.top - pad.clientTop) / pad.clientHeight * 28];
        }
        function stroke(p) {
          if (last) {  // fill the gap since the last event, a quarter pixel at a time
            var dx = p[0] - last[0], dy = p[1] - last[1];
            var steps = Math.max(1, Math.ceil(4 * Math.sqrt(dx * dx + dy * dy)));
            for (var s = 1; s <= steps; s++) ink(input, last[0] + dx * s / steps, last[1] + dy * s / steps);
          } else {
            ink(input, p[0], p[1]);
          }
          last = p;
          update();
        }
        pad.addEventListener("pointerdown", function (e) {
          if (e.button !== 0) return;  // the primary button, a finger or a pen only
          e.preventDefault();
          if (pad.setPointerCapture) pad.setPointerCapture(e.pointerId);
          last = null;
          stroke(at(e));
        });
        pad.addEventListener("pointermove", function (e) {
          if (last === null || !(e.buttons & 1) && e.pointerType === "mouse") return;
          e.preventDefault();
          stroke(at(e));
        });
        ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
          pad.addEventListener(name, function () { last = null; });
        });
        state.clear = function () { input.fill(0); last = null; update(); };
        clear.addEventListener("click", state.clear);

        /* The keyboard's pen: arrow keys move it one pixel (four with Shift), space puts it
         * down (inking where it is) or lifts it, Delete or Backspace clears the pad. While it
         * is down, every move draws a stroke, as a drag does. */
        var pen = { col: 14, row: 14, down: false };
        state.pen = pen;
        function showPen() {
          cursor.hidden = false;
          cursor.style.left = (100 * (pen.col - 1) / 28) + "%";
          cursor.style.top = (100 * (pen.row - 1) / 28) + "%";
          cursor.className = "aebook-cursor" + (pen.down ? " aebook-pen-down" : "");
        }
        pad.addEventListener("keydown", function (e) {
          var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
          if (moves[e.key]) {
            var n = e.shiftKey ? 4 : 1;
            pen.col = Math.max(0, Math.min(27, pen.col + n * moves[e.key][0]));
            pen.row = Math.max(0, Math.min(27, pen.row + n * moves[e.key][1]));
            if (pen.down) stroke([pen.col + 0.5, pen.row + 0.5]);
          } else if (e.key === " " || e.key === "Enter") {
            pen.down = !pen.down;
            last = null;
            if (pen.down) stroke([pen.col + 0.5, pen.row + 0.5]);
          } else if (e.key === "Delete" || e.key === "Backspace") {
            pen.down = false;
            state.clear();
          } else if (e.key === "Escape") {
            pen.down = false;
            last = null;
          } else {
            return;
          }
          e.preventDefault();
          showPen();
        });
        pad.addEventListener("blur", function () { cursor.hidden = true; pen.down = false; last = null; });
        update();
      });
  }

  function init() {
    document.querySelectorAll(".aebook-latent-explorer[data-src]").forEach(startExplorer);
    document.querySelectorAll(".aebook-drawing-pad[data-src]").forEach(startPad);
  }
  /* Start as soon as the page is parsed ("interactive"), not on DOMContentLoaded, which
   * also waits for every deferred script (MathJax among them): the figures never wait for
   * the formulas. */
  if (document.readyState === "loading") {
    document.addEventListener("readystatechange", function once() {
      if (document.readyState === "loading") return;
      document.removeEventListener("readystatechange", once);
      init();
    });
  } else {
    init();
  }
})();
