// Measurements of what the eye sees, from computed styles: focus indicators (WCAG 1.4.11)
// and button edges in forced-colours mode. The functions passed to page.evaluate run in
// the browser, so they carry their own helpers.

/** Colour arithmetic (WCAG relative luminance) as `window.iwColour` in the page. */
function installColourHelpers(page) {
  return page.evaluate(() => {
    const rgba = (text) => {
      const m = text.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }) => {
      const lin = (v) => { const c = v / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const contrast = (x, y) => {
      const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
      return (hi + 0.05) / (lo + 0.05);
    };
    // The first opaque background among the ancestors: what surrounds the element.
    const surrounding = (el) => {
      for (let node = el.parentElement; node; node = node.parentElement) {
        const c = rgba(getComputedStyle(node).backgroundColor);
        if (c && c.a === 1) return c;
      }
      return { r: 255, g: 255, b: 255, a: 1 };
    };
    window.iwColour = { rgba, contrast, surrounding };
  });
}

/**
 * Focuses the element matching `selector` and measures its focus indicator: what changes
 * on focus (outline, a new box-shadow, the fill, the border) and the strongest contrast
 * of those colours against the background the element sits on.
 */
export async function measureFocus(page, selector) {
  await installColourHelpers(page);
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return { missing: true };
    const { rgba, contrast, surrounding } = window.iwColour;
    // Computed box-shadow lists start each shadow with its colour.
    const shadows = (text) => (text === 'none' ? [] : text.match(/rgba?\([^)]*\)[^,]*/g) ?? [])
      .map((s) => s.trim());
    const shadowExtent = (s) => {
      const [x = 0, y = 0, , spread = 0] = s.replace(/rgba?\([^)]*\)/, '').replace('inset', '')
        .trim().split(/\s+/).map(parseFloat);
      return Math.max(Math.abs(x), Math.abs(y)) + spread;
    };
    const snapshot = () => {
      const s = getComputedStyle(el);
      return {
        outline: s.outlineStyle !== 'none' ? { width: parseFloat(s.outlineWidth), color: rgba(s.outlineColor) } : null,
        shadows: shadows(s.boxShadow),
        fill: rgba(s.backgroundColor),
        border: { width: parseFloat(s.borderTopWidth), color: rgba(s.borderTopColor) },
      };
    };
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    const before = snapshot();
    el.focus();
    if (document.activeElement !== el && !el.contains(document.activeElement)) return { notFocusable: true };
    const after = snapshot();
    const parts = [];
    if (after.outline && after.outline.width >= 2 && after.outline.color?.a === 1) parts.push(['outline', after.outline.color]);
    for (const s of after.shadows) {
      if (!before.shadows.includes(s) && shadowExtent(s) >= 2 && rgba(s)?.a === 1) parts.push(['shadow', rgba(s)]);
    }
    if (after.fill?.a === 1 && JSON.stringify(after.fill) !== JSON.stringify(before.fill)) parts.push(['fill', after.fill]);
    if (after.border.width >= 2 && after.border.color?.a === 1
        && JSON.stringify(after.border.color) !== JSON.stringify(before.border.color)) parts.push(['border', after.border.color]);
    const bg = surrounding(el);
    const rated = parts.map(([what, c]) => ({ what, color: `rgb(${c.r}, ${c.g}, ${c.b})`, ratio: contrast(c, bg) }));
    const best = rated.reduce((m, p) => (p.ratio > m.ratio ? p : m), { ratio: 0 });
    el.blur();
    return { best, parts: rated, background: `rgb(${bg.r}, ${bg.g}, ${bg.b})` };
  }, selector);
}

/**
 * Every button people can see, with whether its edge stands out from what surrounds it:
 * a border of at least 1 px whose colour has 3:1 against the surrounding background.
 * Meant for forced-colours mode, where fills and shadows are dropped.
 */
export async function buttonEdges(page) {
  await installColourHelpers(page);
  return page.evaluate(() => {
    const { rgba, contrast, surrounding } = window.iwColour;
    const buttons = [...document.querySelectorAll('button, .button, input[type=submit], input[type=button]')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 2 && box.height > 2 && el.getAttribute('aria-hidden') !== 'true'
          && getComputedStyle(el).visibility !== 'hidden';
      });
    return buttons.map((el) => {
      const s = getComputedStyle(el);
      const sides = ['Top', 'Right', 'Bottom', 'Left'].map((side) => ({
        width: parseFloat(s[`border${side}Width`]),
        style: s[`border${side}Style`],
        color: rgba(s[`border${side}Color`]),
      }));
      const bg = surrounding(el);
      const visible = sides.every((b) => b.width >= 1 && b.style !== 'none' && b.style !== 'hidden'
        && b.color && b.color.a > 0 && contrast(b.color, bg) >= 3);
      return { name: `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${el.textContent.trim()}"`, visible };
    });
  });
}
