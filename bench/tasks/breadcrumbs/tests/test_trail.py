from crumbs import Crumb, humanize, render, split_path, trail


def test_split_path_drops_query_and_empty_segments():
    assert split_path("/docs//api/?page=2#top") == ["docs", "api"]


def test_humanize():
    assert humanize("getting-started") == "Getting started"
    assert humanize("release_notes") == "Release notes"


def test_home_page_is_only_home():
    assert trail("/") == [Crumb("Home", None)]


def test_top_level_page():
    assert trail("/about") == [Crumb("Home", "/"), Crumb("About", None)]


def test_nested_page_labels_each_ancestor():
    assert trail("/docs/getting-started/install") == [
        Crumb("Home", "/"),
        Crumb("Docs", "/docs"),
        Crumb("Getting started", "/docs/getting-started"),
        Crumb("Install", None),
    ]


def test_titles_override_labels():
    crumbs = trail("/blog/2024/hello-world", titles={"blog": "Our blog"})
    assert [c.label for c in crumbs] == ["Home", "Our blog", "2024", "Hello world"]


def test_render():
    html = render(trail("/a-b/c"))
    assert html == '<a href="/">Home</a> / <a href="/a-b">A b</a> / <span aria-current="page">C</span>'
