"""The metadata profile: the national core, the city extension, the extension rules and labels."""

from __future__ import annotations

import pytest

from catalog.profile import ProfileError, load_profile
from vocab import default_registry


@pytest.fixture(scope="module")
def profile():
    return load_profile(vocab=default_registry())


def test_composed_profile(profile):
    assert profile.names == ("national", "huainan")
    assert [e.name for e in profile.extension_elements] == ["source_system", "record_count", "data_scope", "secrecy"]
    assert profile.get("theme").obligation == "M" and profile.get("keywords").obligation == "M"
    assert profile.get("abstract").max_length == 1000
    assert profile.get("secrecy").values == ("1",)
    assert profile.get("items.2.length").type == "integer"
    assert profile.get("metadata_id").system and not profile.get("metadata_id").required
    with pytest.raises(KeyError):
        profile.get("colour")
    with pytest.raises(KeyError):
        profile.get("share.colour")
    assert profile.to_dict("en")["elements"][0]["label"] == "Metadata identifier"


@pytest.mark.parametrize(("path", "zh", "en"), [
    ("title", "信息资源名称", "Resource title"),
    ("share.condition", "共享属性 · 共享条件", "Sharing · Share condition"),
    ("items.2.length", "信息项 第3行 · 数据长度", "Information items row 3 · Length"),
    ("items.0", "信息项 第1行", "Information items row 1"),
    ("colour", "colour", "colour"),
    ("share.colour", "共享属性 · colour", "Sharing · colour"),
    ("0", "0", "0"),
])
def test_labels(profile, path, zh, en):
    label = profile.label(path)
    assert label.render("zh_CN") == zh
    assert label.render("en") == en


@pytest.mark.parametrize(("body", "says"), [
    ("tighten:\n  - {name: theme, obligation: O}\n", "only be tightened"),
    ("tighten:\n  - {name: title, max_length: 500}\n", "only be lowered"),
    ("tighten:\n  - {name: items.length, min: 0}\n", "only be raised"),
    ("tighten:\n  - {name: title, type: text}\n", "cannot be changed"),
    ("tighten:\n  - {name: colour, obligation: M}\n", "unknown element"),
    ("tighten:\n  - {name: share.colour, obligation: M}\n", "unknown element"),
    ("elements:\n  - {name: title, type: string}\n", "may not redefine"),
    ("elements:\n  - {name: x, type: colour}\n", "unknown type"),
    ("elements:\n  - {name: x, type: code}\n", "needs a vocabulary"),
    ("elements:\n  - {name: x, type: code, vocabulary: colours}\n", "unknown vocabulary"),
    ("elements:\n  - {name: x, obligation: X}\n", "obligation"),
    ("elements:\n  - {name: x, colour: red}\n", "unknown attributes"),
    ("elements:\n  - {name: x, label: {en: X}}\n", "zh"),
    ("extends: somewhere\n", "extends"),
])
def test_extension_rules(tmp_path, body, says):
    path = tmp_path / "local.yaml"
    path.write_text("profile: local\n" + body, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(extra_paths=[path], vocab=default_registry())
    assert says in str(err.value)


def test_extension_may_add_tighten_and_narrow(tmp_path):
    path = tmp_path / "local.yaml"
    path.write_text(
        "profile: local\nextends: huainan\n"
        "elements:\n  - {name: contact, label: {zh: 联系人, en: Contact}, type: string, obligation: R}\n"
        "tighten:\n  - {name: update_cycle, values: ['2', '4']}\n  - {name: items.length, obligation: M}\n",
        encoding="utf-8",
    )
    profile = load_profile(extra_paths=[path], vocab=default_registry())
    assert profile.names == ("national", "huainan", "local")
    assert profile.get("contact").extension == "local"
    assert profile.get("update_cycle").values == ("2", "4")
    assert profile.get("items.length").required


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ProfileError):
        load_profile(extensions=("nowhere",))
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements: [", encoding="utf-8")
    with pytest.raises(ProfileError):
        load_profile(extra_paths=[bad])
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text("elements: []\n", encoding="utf-8")
    with pytest.raises(ProfileError):
        load_profile(extra_paths=[nameless])


def test_a_text_split_by_an_unquoted_comma_is_refused(tmp_path):
    extension = tmp_path / "broken.yaml"
    extension.write_text(
        "profile: broken\nextends: national\nelements:\n"
        "  - {name: note, label: {zh: 备注, en: Note, with a comma}, type: string}\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError, match="quote texts that contain a comma"):
        load_profile((), [extension])
