"""Every name of the package equals the catalogue (catalogue/names.toml): Cmd, On, ResultCode, the
SipwError codes, the native module's SIPW_* constants and the command methods. Fails when any list
drifts."""
import inspect
import pathlib
import re
import tomllib

from sipworker import Cmd, On, ResultCode, SipwError, SipWorker
from sipworker import sipw as native

CATALOGUE = pathlib.Path(__file__).resolve().parents[2] / "catalogue" / "names.toml"


def catalogue():
    with open(CATALOGUE, "rb") as f:
        return tomllib.load(f)


def test_cmd_members_are_the_catalogue_commands_in_order():
    expected = [(c["name"], c.get("value", c["name"])) for c in catalogue()["commands"]]
    assert [(m.name, m.value) for m in Cmd] == expected


def test_on_members_are_the_catalogue_events_in_order():
    expected = [(e["name"], e["value"]) for e in catalogue()["events"]]
    assert [(m.name, m.value) for m in On] == expected


def test_result_codes_and_sipw_error_codes_are_the_catalogue_results():
    expected = [(r["name"], r["value"]) for r in catalogue()["results"]]
    assert [(m.name, int(m)) for m in ResultCode] == expected
    for name, value in expected:
        assert getattr(SipwError, name) == value


def test_native_constants_are_the_catalogue():
    data = catalogue()
    for c in data["commands"]:
        assert getattr(native, "SIPW_CMD_" + c["name"]) == c.get("value", c["name"])
    for e in data["events"]:
        assert getattr(native, "SIPW_" + e["name"]) == e["value"]
    for r in data["results"]:
        assert getattr(native, "SIPW_" + r["name"]) == r["value"]
    declared = {n for n in dir(native) if n.startswith(("SIPW_CMD_", "SIPW_ON_"))}
    assert declared == {"SIPW_CMD_" + c["name"] for c in data["commands"]} | {"SIPW_" + e["name"] for e in data["events"]}


def test_members_print_as_their_value():
    assert str(Cmd.UNHOLD) == "ONHOLD" and f"{On.ON_NEWDTMF}" == "newDTMF"


def test_command_methods_are_the_catalogue_methods():
    """One method per catalogue method, with its parameters in snake_case (generated, so this
    fails only when the generation is not wired into the package)."""
    for m in catalogue()["methods"]:
        method = getattr(SipWorker, m["name"])
        names = list(inspect.signature(method).parameters)[1:]
        fields = [re.sub(r"[?:=].*", "", p) for p in m["params"]]
        expected = {re.sub(r"([A-Z])", lambda c: "_" + c.group(1).lower(), f) for f in fields}
        assert expected - {"config", "options"} <= set(names), m["name"]
        assert m["command"] in method.__doc__, m["name"]
