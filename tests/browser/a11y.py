"""What the browser tests measure on a page: axe-core's verdict, horizontal scroll, text sizes,
line heights and target sizes, each as a list of readable problems (empty when all is well)."""

from __future__ import annotations

from dataclasses import dataclass

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    # Beyond the tags: the design asks for 7:1 contrast and WCAG 2.2's target size.
    "rules": {"color-contrast-enhanced": {"enabled": True}, "target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}
EXTRA_RULES = ("color-contrast-enhanced", "target-size")


class AxeRunner(Axe):
    """axe_playwright_python's runner, injecting axe-core once per document rather than per run."""

    def check(self, page: Page) -> list[str]:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe_script)
        results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        ran = {rule["id"] for kind in ("violations", "passes", "incomplete", "inapplicable")
               for rule in results[kind]}
        problems = [f"axe did not run {rule}" for rule in EXTRA_RULES if rule not in ran]
        for violation in results["violations"]:
            for node in violation["nodes"]:
                problems.append(
                    f"axe {violation['id']} ({violation['impact']}) at {' '.join(map(str, node['target']))}: "
                    f"{node.get('failureSummary', violation['help'])}".replace("\n", " ")
                )
        return problems


# One pass over the page in the browser: every visible text node's parent element (font size,
# line height, whether it is running text), every control's box, and the scroll width.
MEASURE_JS = """
() => {
  const describe = (el) => {
    const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    return (el.parentElement ? name(el.parentElement) + ' > ' : '') + name(el);
  };
  const shown = (el) => {
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
    if (el.closest('.visually-hidden')) return false;
    const r = el.getBoundingClientRect();
    // Off-screen until focused (the skip link) does not count as shown.
    return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0;
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    const el = node.parentElement;
    if (!text || !el || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName) || !shown(el)) continue;
    const style = getComputedStyle(el);
    const heading = !!el.closest('h1, h2, h3, h4, h5, h6');
    const control = !!el.closest('button, .button');
    texts.push({
      where: describe(el), text: text.slice(0, 40),
      fontSize: parseFloat(style.fontSize),
      lineHeight: style.lineHeight === 'normal' ? null : parseFloat(style.lineHeight),
      // Paragraphs, list items and labels: the body text whose line height is checked.
      running: !!el.closest('p, li, label, dd') && !heading && !control,
    });
  }
  const controls = 'input:not([type=hidden]), select, textarea';
  // Inputs show their own text (what is typed, or a chosen file); boxes to tick show none.
  for (const el of document.querySelectorAll(controls)) {
    if (!shown(el) || ['checkbox', 'radio', 'range', 'color'].includes(el.type)) continue;
    const style = getComputedStyle(el);
    texts.push({where: describe(el), text: el.name || el.type, fontSize: parseFloat(style.fontSize),
                lineHeight: null, running: false});
  }
  const targets = [];
  for (const el of document.querySelectorAll('a[href], button, summary, ' + controls)) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    // A link inside running text (a paragraph with words around it) is exempt from target size;
    // a paragraph holding nothing but the link is not running text.
    const paragraph = el.tagName === 'A' && el.closest('p');
    const inline = !!paragraph && paragraph.textContent.trim() !== el.textContent.trim();
    targets.push({where: describe(el), text: (el.textContent || el.name || '').trim().slice(0, 40),
                  width: box.width, height: box.height, inline});
  }
  const root = document.documentElement;
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, texts, targets,
          rootFontSize: parseFloat(getComputedStyle(root).fontSize)};
}
"""


@dataclass(frozen=True)
class Rules:
    """The thresholds for one text-size step on one kind of page (CSS px)."""

    min_font: float
    min_target: float
    min_line_height: float = 1.5

    @classmethod
    def for_step(cls, size: str, audience: str) -> Rules:
        if size == "standard":
            return cls(min_font=16, min_target=44)
        if size == "large":
            return cls(min_font=18, min_target=60)
        # Largest: 3x the 16px standard for residents and officers, 2x on staff pages.
        return cls(min_font=48 if audience == "public" else 32, min_target=60)


def measure(page: Page) -> dict:
    return page.evaluate(MEASURE_JS)


def layout_problems(page: Page, rules: Rules, *, check_scroll: bool) -> list[str]:
    data = measure(page)
    problems = []
    if check_scroll and data["scrollWidth"] > data["clientWidth"]:
        problems.append(f"horizontal scroll: scrollWidth {data['scrollWidth']} > clientWidth {data['clientWidth']}")
    for t in data["texts"]:
        if t["fontSize"] < rules.min_font - 0.01:
            problems.append(f"text {t['fontSize']:g}px < {rules.min_font:g}px: {t['where']} {t['text']!r}")
        if t["running"]:
            if t["lineHeight"] is None or t["lineHeight"] < rules.min_line_height * t["fontSize"] - 0.01:
                problems.append(
                    f"line height {t['lineHeight']}px < {rules.min_line_height} x {t['fontSize']:g}px: "
                    f"{t['where']} {t['text']!r}"
                )
    for t in data["targets"]:
        if t["inline"]:
            continue
        if t["width"] < rules.min_target - 0.01 or t["height"] < rules.min_target - 0.01:
            problems.append(
                f"target {t['width']:.0f}x{t['height']:.0f}px < {rules.min_target:g}px: {t['where']} {t['text']!r}"
            )
    return problems
