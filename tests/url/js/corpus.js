// JS SDK oracle corpus (issue 14): prints JSON lines {sdk, url, signed} built with a fixed seed by
// @cloudinary/url-gen 1.22.0 (unsigned builder URLs) and the Node `cloudinary` 2.11.0 package
// (cloudinary.url, signed and unsigned).  Run by tests/url/test_js_corpus.py: node corpus.js <n> <secret>.
'use strict';
const { Cloudinary } = require('@cloudinary/url-gen');
const A = require('@cloudinary/url-gen/actions');
const Q = require('@cloudinary/url-gen/qualifiers');
const { source } = require('@cloudinary/url-gen/actions/overlay');
const { image, text } = require('@cloudinary/url-gen/qualifiers/source');
const { TextStyle } = require('@cloudinary/url-gen/qualifiers/textStyle');
const { autoGravity, focusOn, compass } = require('@cloudinary/url-gen/qualifiers/gravity');
const { FocusOn } = require('@cloudinary/url-gen/qualifiers/focusOn');
const { AutoFocus } = require('@cloudinary/url-gen/qualifiers/autoFocus');
const { Position } = require('@cloudinary/url-gen/qualifiers/position');
const node = require('cloudinary').v2;

const N = parseInt(process.argv[2] || '900', 10);
const SECRET = process.argv[3] || 'secret';
let seed = 20261203;
function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; }
function pick(a) { return a[Math.floor(rnd() * a.length)]; }
function int(lo, hi) { return lo + Math.floor(rnd() * (hi - lo + 1)); }

const cld = new Cloudinary({ cloud: { cloudName: 'demo' }, url: { secure: true, analytics: false } });
const IDS = ['sample', 'folder/shoe', 'a folder/hello world', 'products/cap-2', 'docs/models'];
const OBJECTS = ['cat', 'dog', 'bird', 'skateboard', 'person', 'bottle', 'microwave'];
const FONTS = ['Arial', 'Roboto', 'Verdana', 'Times', 'Open Sans', 'Roboto@google'];
const WORDS = ['Hello', 'Sale 50%', 'Hi, there', 'a/b', 'Edge!', 'Caf\u00e9', 'Time: 10$', 'x(1)~y'];
const FETCHED = ['https://example.com/pic.jpg', 'https://example.com/\u00fcber.png', 'https://example.com/a b.png?x=1&y=2'];

function resizeAction() {
  const w = int(20, 900), h = int(20, 900);
  const kind = pick(['scale', 'fit', 'limitFit', 'fill', 'pad', 'crop', 'thumbnail', 'auto']);
  let r;
  switch (kind) {
    case 'scale': r = A.Resize.scale().width(w); if (rnd() < 0.5) r = r.height(h); return r;
    case 'fit': return A.Resize.fit().width(w).height(h);
    case 'limitFit': return A.Resize.limitFit().width(w).height(h);
    case 'pad': return A.Resize.pad().width(w).height(h).background(Q.Background.color(pick(['red', 'white', '#00ff00'])));
    case 'crop': return A.Resize.crop().width(w).height(h).gravity(compass(pick(['north', 'south_east', 'west', 'center'])));
    case 'thumbnail': return A.Resize.thumbnail().width(w).height(h).gravity(focusOn(FocusOn.face()));
    default: {
      const g = gravityQualifier();
      r = (kind === 'fill' ? A.Resize.fill() : A.Resize.auto()).width(w).height(h);
      return g ? r.gravity(g) : r;
    }
  }
}

function gravityQualifier() {
  const x = rnd();
  if (x < 0.2) return autoGravity();
  if (x < 0.5) {
    const focals = [];
    const n = int(1, 3);
    for (let i = 0; i < n; i++) {
      const f = AutoFocus.focusOn(new (require('@cloudinary/url-gen/qualifiers/focusOn').FocusOnValue)(pick(OBJECTS)));
      const y = rnd();
      if (y < 0.4) f.weight(int(1, 100)); else if (y < 0.55) f.avoid();
      focals.push(f);
    }
    return autoGravity().autoFocus(...focals);
  }
  if (x < 0.6) return autoGravity().autoFocus(AutoFocus.focusOn(FocusOn.advancedFaces()));
  if (x < 0.7) return focusOn(FocusOn.advancedEyes());
  if (x < 0.8) return focusOn(FocusOn.cat(), FocusOn.dog());
  return compass(pick(['north', 'north_east', 'south', 'center']));
}

function effectAction() {
  return pick([
    () => A.Effect.sepia(int(1, 100)), () => A.Effect.grayscale(), () => A.Effect.blur(int(1, 2000)),
    () => A.Effect.negate(), () => A.Effect.vignette(int(0, 100)), () => A.Effect.pixelate(int(1, 200)),
    () => A.Effect.cartoonify(), () => A.Effect.oilPaint(int(0, 100)), () => A.Effect.blackwhite(),
    () => A.Adjust.brightness(int(-99, 100)), () => A.Adjust.saturation(int(-100, 100)), () => A.Adjust.sharpen(int(1, 2000)),
    () => A.Adjust.hue(int(-100, 100)), () => A.Effect.upscale(), () => A.Effect.enhance(), () => A.Effect.generativeRestore(),
    () => A.Effect.outline().width(int(1, 50)), () => A.Effect.shadow(), () => A.Effect.vectorize(),
  ])();
}

function overlayAction() {
  const x = rnd();
  let src;
  if (x < 0.5) {
    let st = new TextStyle(pick(FONTS), int(10, 80));
    const y = rnd();
    if (y < 0.3) st = st.fontWeight(pick(['bold', 'light', 'thin', '600', '300']));
    else if (y < 0.5) st = st.fontStyle('italic');
    if (rnd() < 0.3) st = st.letterSpacing(int(-5, 10));
    if (rnd() < 0.2) st = st.textDecoration('underline');
    src = text(pick(WORDS), st).textColor(pick(['red', 'white', '#112233']));
  } else {
    src = image(pick(['logo', 'docs/badge', 'sample']));
    if (rnd() < 0.5) src = src.transformation(new (require('@cloudinary/url-gen').Transformation)().resize(A.Resize.scale().width(int(10, 200))));
  }
  let pos = new Position().gravity(compass(pick(['north', 'south_east', 'west', 'center'])));
  if (rnd() < 0.5) pos = pos.offsetX(int(-50, 50)).offsetY(int(-50, 50));
  return rnd() < 0.15 ? A.Underlay.source(src).position(pos) : A.Overlay.source(src).position(pos);
}

function urlGen() {
  const img = cld.image(pick(IDS));
  const n = int(1, 4);
  for (let i = 0; i < n; i++) {
    const k = rnd();
    if (k < 0.3) img.resize(resizeAction());
    else if (k < 0.5) img.effect(effectAction());
    else if (k < 0.62) img.overlay(overlayAction());
    else if (k < 0.7) img.roundCorners(pick([A.RoundCorners.max(), A.RoundCorners.byRadius(int(1, 100))]));
    else if (k < 0.78) img.delivery(A.Delivery.format(pick(['auto', 'webp', 'png', 'jpg', 'avif'])));
    else if (k < 0.86) img.delivery(A.Delivery.quality(pick(['auto', 'auto:eco', 'auto:best', 60, 'jpegmini'])));
    else if (k < 0.9) img.delivery(A.Delivery.dpr(pick([1, 2, 3, '2.0'])));
    else if (k < 0.94) img.namedTransformation(A.NamedTransformation.name(pick(['thumb', 'my_preset', 'banner-2'])));
    else if (k < 0.97) img.addVariable(require('@cloudinary/url-gen/actions/variable').set('w', int(10, 500))).resize(A.Resize.scale().width('$w'));
    else img.conditional(require('@cloudinary/url-gen/actions/conditional').ifCondition('width > 400', new (require('@cloudinary/url-gen').Transformation)().resize(A.Resize.scale().width(400))));
  }
  return img.toURL();
}

function nodeUrl(signed) {
  const opts = { cloud_name: 'demo', api_key: 'k', api_secret: SECRET, secure: true, urlAnalytics: false, analytics: false };
  const t = [];
  const n = int(1, 3);
  for (let i = 0; i < n; i++) {
    const k = rnd();
    if (k < 0.35) t.push({ width: int(10, 900), height: int(10, 900), crop: pick(['fill', 'fit', 'limit', 'pad', 'thumb', 'scale']),
                         gravity: pick(['auto', 'north', 'face', 'auto:cat_30:dog_70', 'adv_faces', 'auto:subject', 'south_east']) });
    else if (k < 0.55) t.push({ effect: pick(['sepia', 'grayscale', 'blur:300', 'pixelate_faces', 'upscale', 'gen_restore', 'style_transfer']) });
    else if (k < 0.7) {
      const ov = { font_family: pick(FONTS), font_size: int(10, 80), font_weight: pick(['bold', 'normal', 'light', '600']), text: pick(WORDS) };
      if (rnd() < 0.3) ov.letter_spacing = pick([-2, 4]);
      t.push({ overlay: ov, gravity: 'south', y: int(-20, 20) });
    }
    else if (k < 0.8) t.push({ overlay: pick(['logo', 'docs:badge']), width: int(20, 200), gravity: 'north_east', x: int(0, 30), opacity: int(10, 100) });
    else if (k < 0.9) t.push({ quality: pick(['auto', 'auto:good', 80, 'jpegmini:1']), fetch_format: pick(['auto', 'webp']) });
    else t.push({ transformation: pick(['thumb', 'my_preset']) });
  }
  const o = Object.assign({}, opts, { transformation: t, sign_url: signed });
  if (rnd() < 0.3) o.version = int(1, 1800000000);
  if (rnd() < 0.2) o.format = pick(['jpg', 'png', 'webp']);
  if (signed && rnd() < 0.3) o.long_url_signature = true;
  if (rnd() < 0.1) { o.url_suffix = 'seo-name'; }
  if (rnd() < 0.1) { o.type = 'authenticated'; }
  if (rnd() < 0.1 && !o.url_suffix) { o.shorten = true; }
  if (rnd() < 0.08 && !o.url_suffix && !o.shorten) { o.type = 'fetch'; delete o.format; return node.url(pick(FETCHED), o); }
  return node.url(pick(IDS), o);
}

const out = [];
while (out.length < N) {
  const which = out.length % 3;
  if (which === 0) out.push({ sdk: 'url-gen', url: urlGen(), signed: false });
  else out.push({ sdk: 'node', signed: which === 1, url: nodeUrl(which === 1) });
}
for (const line of out) process.stdout.write(JSON.stringify(line) + '\n');
