from formquery import build_query, decode_component, encode_component, get_param, parse_query, set_params


def test_plus_means_space():
    assert decode_component("new+york") == "new york"


def test_percent_escapes_are_utf8():
    assert decode_component("caf%C3%A9") == "café"
    assert encode_component("café au lait") == "caf%C3%A9+au+lait"


def test_encoded_plus_stays_a_plus():
    assert decode_component("1%2B1%3D2") == "1+1=2"


def test_repeated_and_blank_keys():
    assert parse_query("?tag=a&tag=b&empty=&flag") == {"tag": ["a", "b"], "empty": [""], "flag": [""]}
    assert parse_query("tag=a&empty=", keep_blank=False) == {"tag": ["a"]}


def test_build_query_sorts_keys_and_repeats_lists():
    assert build_query({"q": "rust lang", "page": "2", "tag": ["x", "y"]}) == "page=2&q=rust+lang&tag=x&tag=y"


def test_build_then_parse_round_trip():
    params = {"lang": ["C++"], "q": ["a&b = c"]}
    assert parse_query(build_query(params)) == params


def test_get_param_from_url():
    url = "https://example.org/search?q=hello+world&page=3#top"
    assert get_param(url, "q") == "hello world"
    assert get_param(url, "sort", "relevance") == "relevance"


def test_set_params_replaces_and_removes():
    url = "https://example.org/search?q=old&page=3#results"
    assert set_params(url, {"q": "new query", "page": None}) == "https://example.org/search?q=new+query#results"
