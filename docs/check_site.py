"""Check the built documentation site as a reader would use it: ``python docs/check_site.py [BUILD_DIR]``.

Loads every HTML page of the build (the standard library's parser; no browser) and fails on

* a link to a page, file or ``#anchor`` of the site that does not exist;
* an image (``<img src>``, ``srcset``) whose file is missing or empty;
* a script, style sheet, font, image or frame fetched from another host (the site must
  open without a network; ordinary links to other sites are allowed);
* a search that cannot work: ``searchindex.js`` missing, empty or without the API's
  names, or ``search.html`` without the search scripts;
* a public name without its API page (every name in ``gaussmix.__all__`` and in the
  ``__all__`` of the public submodules, found in ``objects.inv``; needs gaussmix importable);
* a gallery example (``examples/plot_*.py``) without its executed page and figure.

``--chromium`` also opens pages in headless Chromium (``apt-get install chromium``): the
front page, an API page and a gallery page must render their title and images, and a
search for ``impute`` must list :meth:`GaussianMixture.impute`'s API page.

Exit status 0 when everything holds, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import re
import shutil
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: modules whose ``__all__`` lists public names (gaussmix.core, .cli and .demo are the
#: engine, the command line and its demo: the user guide documents those)
PUBLIC_MODULES = (
    "gaussmix", "gaussmix.selection", "gaussmix.model_io", "gaussmix.outliers", "gaussmix.plotting",
    "gaussmix.datasets", "gaussmix.data", "gaussmix.exceptions", "gaussmix.covariance",
)

#: (tag, attribute) pairs that make the browser fetch something when the page loads
FETCHED = {("img", "src"), ("script", "src"), ("iframe", "src"), ("source", "src"), ("video", "src"),
           ("audio", "src"), ("embed", "src"), ("object", "data"), ("input", "src")}
#: <link rel=...> values whose href is fetched
FETCHED_LINK_RELS = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon",
                     "shortcut"}


#: a style sheet's url(...) or @import of another host (fonts, other style sheets)
REMOTE_CSS = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""")


class Page(HTMLParser):
    """The ids, links, fetched resources and images of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []       # <a href>: followed only when clicked
        self.fetched: list[str] = []     # loaded with the page
        self.images: list[str] = []      # <img src> and srcset entries
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for t, attr in FETCHED:
            if tag == t and a.get(attr):
                self.fetched.append(a[attr])
        if tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            if rels & FETCHED_LINK_RELS:
                self.fetched.append(a["href"])
        if tag in ("img", "source") and a.get("srcset"):
            entries = [part.strip().split()[0] for part in a["srcset"].split(",") if part.strip()]
            self.fetched.extend(entries)
            self.images.extend(entries)
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.scheme not in ("file",)) or url.startswith("//")


def resolve(page: Path, url: str, site: Path) -> tuple[Path | None, str]:
    """The file a relative URL of ``page`` points to (None: the page itself) and its fragment."""
    parts = urlsplit(url)
    fragment = unquote(parts.fragment)
    if not parts.path:
        return None, fragment
    target = (page.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, fragment


def read_inventory(path: Path) -> dict[str, str]:
    """objects.inv (Sphinx's format 2) as {name: 'role uri'}."""
    data = path.read_bytes()
    header_end = 0
    for _ in range(4):  # four text lines, then the zlib stream
        header_end = data.index(b"\n", header_end) + 1
    text = zlib.decompress(data[header_end:]).decode("utf-8")
    entries = {}
    for line in text.splitlines():
        m = re.match(r"(?x)(.+?)\s+(\S+:\S+)\s+(-?\d+)\s+(\S*)\s+(.*)", line)
        if m:
            name, role, _, uri, _ = m.groups()
            if uri.endswith("$"):
                uri = uri[:-1] + name
            entries[name] = f"{role} {uri}"
    return entries


def check_links_and_images(site: Path, pages: dict[Path, Page]) -> list[str]:
    problems = []
    css_checked: set[Path] = set()
    missing: dict[Path, list[str]] = {}  # a missing file, once, with the pages that load it
    for path, page in sorted(pages.items()):
        rel = path.relative_to(site)
        for url in page.fetched:
            if url.startswith("data:"):
                continue
            if is_external(url):
                problems.append(f"{rel}: fetches {url} from another host (the site must work offline)")
                continue
            target, _ = resolve(path, url, site)
            if target is not None and (not target.is_file() or target.stat().st_size == 0):
                kind = "image" if url in page.images else "resource"
                missing.setdefault(target, []).append(f"{kind} {url} of {rel}")
            elif target is not None and target.suffix == ".css" and target not in css_checked:
                css_checked.add(target)
                for remote in REMOTE_CSS.findall(target.read_text(encoding="utf-8", errors="replace")):
                    problems.append(f"{target.relative_to(site)}: fetches {remote} from another host")
        for url in page.links:
            if is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            target, fragment = resolve(path, url, site)
            if target is None:
                target = path
            if not str(target).startswith(str(site.resolve())):
                problems.append(f"{rel}: link {url} leaves the site")
                continue
            if not target.exists():
                problems.append(f"{rel}: broken link {url}")
                continue
            if fragment and target.suffix == ".html":
                other = pages.get(target)
                if other is not None and fragment not in other.ids:
                    problems.append(f"{rel}: link {url}: no id {fragment!r} in {target.relative_to(site.resolve())}")
    for target, uses in sorted(missing.items()):
        more = f" (and {len(uses) - 1} more page(s))" if len(uses) > 1 else ""
        problems.append(f"{uses[0]} is missing or empty{more}")
    return problems


def check_search(site: Path) -> list[str]:
    problems = []
    index = site / "searchindex.js"
    if not index.is_file() or index.stat().st_size < 1000:
        return ["searchindex.js is missing or empty: search cannot work"]
    text = index.read_text(encoding="utf-8")
    if "Search.setIndex(" not in text:
        problems.append("searchindex.js does not call Search.setIndex")
    for needle in ("GaussianMixture", "impute", "select"):
        if needle.lower() not in text.lower():
            problems.append(f"searchindex.js does not index {needle!r}")
    search = site / "search.html"
    if not search.is_file():
        problems.append("search.html is missing")
    else:
        page = Page()
        page.feed(search.read_text(encoding="utf-8"))
        scripts = " ".join(page.fetched)
        for script in ("searchtools.js", "searchindex.js"):
            if script not in scripts and script not in search.read_text(encoding="utf-8"):
                problems.append(f"search.html does not load {script}")
    return problems


def check_api(site: Path) -> list[str]:
    inventory_path = site / "objects.inv"
    if not inventory_path.is_file():
        return ["objects.inv is missing: no API reference was built"]
    inventory = read_inventory(inventory_path)
    documented = {}  # id(object) -> name, for the classes and functions the site documents
    for name, entry in inventory.items():
        if entry.split()[0] not in ("py:class", "py:function", "py:exception", "py:data"):
            continue
        obj = resolve_name(name)
        if obj is not None and not isinstance(obj, (int, float, str, tuple, dict)):
            documented[id(obj)] = name
    problems = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for public in module.__all__:
            full = f"{module_name}.{public}"
            obj = getattr(module, public)
            if full in inventory or id(obj) in documented:
                where = inventory.get(full, inventory.get(documented.get(id(obj), ""), "")).split()
                page = where[1].split("#")[0] if len(where) > 1 else ""
                if page and not (site / page).is_file():
                    problems.append(f"{full}: its API page {page} is missing")
                continue
            problems.append(f"{full} has no API page (add it to docs/api.rst)")
    return problems


def resolve_name(dotted: str):
    """The object a dotted name refers to (module, then attributes), or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def check_gallery(site: Path, pages: dict[Path, Page]) -> list[str]:
    problems = []
    examples = sorted((ROOT / "examples").glob("plot_*.py"))
    if not examples:
        return ["no examples/plot_*.py found"]
    for example in examples:
        page_path = (site / "auto_examples" / f"{example.stem}.html").resolve()
        page = pages.get(page_path)
        if page is None:
            problems.append(f"{example.name}: no gallery page auto_examples/{example.stem}.html")
            continue
        figures = [src for src in page.images if f"sphx_glr_{example.stem}_" in src and "thumb" not in src]
        if not figures:
            problems.append(f"{example.name}: its gallery page shows no figure (did it run?)")
        if any("broken_example" in src for src in page.images):
            problems.append(f"{example.name}: failed during the build")
    return problems


def check_with_chromium(site: Path) -> list[str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        return ["--chromium: no chromium on PATH (apt-get install chromium)"]

    def dom(relative: str) -> str:
        url = (site / relative.split("?")[0]).resolve().as_uri()
        if "?" in relative:
            url += "?" + relative.split("?", 1)[1]
        result = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000",
             "--dump-dom", url], capture_output=True, text=True, timeout=120)
        return result.stdout

    problems = []
    for relative, title in (("index.html", "gaussmix"),
                            ("api/generated/gaussmix.GaussianMixture.html", "gaussmix.GaussianMixture"),
                            ("auto_examples/plot_bic_faithful.html", "Old Faithful")):
        page = Page()
        page.feed(dom(relative))
        if title not in page.title:
            problems.append(f"chromium: {relative} has title {page.title!r}, expected {title!r}")
        if relative != "api/generated/gaussmix.GaussianMixture.html" and not page.images:
            problems.append(f"chromium: {relative} shows no image")
    results = dom("search.html?q=impute")
    if "gaussmix.GaussianMixture.html#gaussmix.GaussianMixture.impute" not in results:
        problems.append("chromium: searching 'impute' does not list GaussianMixture.impute")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", type=Path, default=HERE / "_build" / "html",
                        help="the built HTML (default: docs/_build/html)")
    parser.add_argument("--chromium", action="store_true", help="also load pages in headless Chromium")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").is_file():
        print(f"{site}: no index.html; build the site first (docs/building.md)", file=sys.stderr)
        return 1

    pages: dict[Path, Page] = {}
    for path in sorted(site.rglob("*.html")):
        if path.relative_to(site).parts[0] == "_static":  # the theme's template fragments, not pages
            continue
        page = Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        pages[path.resolve()] = page

    problems = (check_links_and_images(site, pages) + check_search(site) + check_api(site)
                + check_gallery(site, pages))
    if args.chromium:
        problems += check_with_chromium(site)
    for problem in problems:
        print(problem)
    n_links = sum(len(p.links) for p in pages.values())
    n_images = sum(len(p.images) for p in pages.values())
    if problems:
        print(f"{len(problems)} problem(s) in {len(pages)} pages", file=sys.stderr)
        return 1
    print(f"{site}: {len(pages)} pages, {n_links} links, {n_images} images: links, images, "
          f"offline resources, search, API pages and gallery checked{' (and in Chromium)' if args.chromium else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
