"""AppRec replies: status 1/2/3 with code-list-8221 errors, valid against the AppRec v1.0 XSD."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.formats import MappingContext
from connectors.plo import apprec_out, schemas
from connectors.plo.format import FORMAT
from connectors.plo.xmlsafe import attr, child, children, parse, text
from hub.errors import InputError, ParseError, UnsupportedMessage, ValidationError
from tests.connectors.plo.conftest import all_samples, sample

NOW = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def _valid(reply: bytes) -> object:
    root = parse(reply)
    schemas.validate(root, schemas.APPREC_V1_NS)
    return root


@pytest.mark.parametrize("path", all_samples(), ids=lambda p: p.name)
def test_reply_for_every_sample_validates(path: object, ctx: MappingContext) -> None:
    """The reply the hub sends for each sample is a valid AppRec with the expected status."""
    payload = path.read_bytes()  # type: ignore[attr-defined]
    error: InputError | None = None
    try:
        FORMAT.accept(payload, ctx)
    except InputError as exc:
        error = exc
    reply = apprec_out.reply_for(payload, error, now=NOW)
    if "AppRec" in path.name:  # type: ignore[attr-defined]
        assert reply is None  # an AppRec is never answered
        return
    assert reply is not None
    root = _valid(reply)
    assert attr(root, "Status") == ("1" if error is None else "2")  # type: ignore[arg-type]
    original = child(root, "OriginalMsgId")  # type: ignore[arg-type]
    assert text(original, "Id") != "ukjent"


def test_ok_reply_reverses_parties() -> None:
    """The reply's sender is the original receiver and its receiver the original sender."""
    root = _valid(
        apprec_out.reply_for(sample("Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml"), None, now=NOW) or b""
    )
    assert text(child(root, "Sender", "HCP", "Inst"), "Id") == "99387"  # type: ignore[arg-type]
    assert text(child(root, "Receiver", "HCP", "Inst"), "Id") == "59"  # type: ignore[arg-type]
    assert text(child(root, "OriginalMsgId"), "Id") == "b088a160-0698-11e8-b566-0800200c9a66"  # type: ignore[arg-type]
    assert attr(child(root, "OriginalMsgId"), "MsgType") == "LOG_INNLAGT"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ParseError("bad"), "T01"),
        (ValidationError("bad", code="schema"), "T02"),
        (UnsupportedMessage("no"), "T10"),
        (ValidationError("no patient", code="patient_missing"), "E30"),
        (ValidationError("bad number", code="patient"), "E30"),
        (ValidationError("no ref", code="reference"), "E10"),
        (InputError("other"), "T99"),
    ],
)
def test_rejection_carries_the_8221_code(error: InputError, code: str) -> None:
    """Each kind of input error is reported with its code-list-8221 code in an Avvist AppRec."""
    reply = apprec_out.reply_for(sample("Innleggelsesrapport_v1-6_Ny.xml"), error, now=NOW)
    root = _valid(reply or b"")
    assert attr(root, "Status") == "2"  # type: ignore[arg-type]
    errors = children(root, "Error")  # type: ignore[arg-type]
    assert [attr(e) for e in errors] == [code]
    assert attr(errors[0], name="S") == apprec_out.CODE_LIST_8221


def test_reply_to_garbage_is_valid() -> None:
    """Even an unreadable message gets a valid Avvist AppRec (T01) naming an unknown original."""
    root = _valid(apprec_out.reply_for(b"\x00garbage", ParseError("bad"), now=NOW) or b"")
    assert text(child(root, "OriginalMsgId"), "Id") == "ukjent"  # type: ignore[arg-type]


def test_partial_status_reply_validates() -> None:
    """Status 3 (OK, feil i delmelding) with an error is a valid AppRec."""
    original = apprec_out.describe(sample("Utskrivningsrapport_v1-6_Ny.xml"))
    reply = apprec_out.build_apprec(
        original, apprec_out.PARTIAL, [apprec_out.AppRecError("T99", "del")], now=NOW
    )
    assert attr(_valid(reply), "Status") == "3"  # type: ignore[arg-type]


def test_reply_is_deterministic() -> None:
    """A re-delivered message gets the same reply id."""
    payload = sample("Utskrivningsrapport_v1-6_Ny.xml")
    first = parse(apprec_out.reply_for(payload, None, now=NOW) or b"")
    second = parse(apprec_out.reply_for(payload, None, now=NOW) or b"")
    assert text(first, "Id") == text(second, "Id")


def test_status_without_error_is_refused() -> None:
    """An Avvist reply must say why."""
    with pytest.raises(ValueError, match="needs at least one error"):
        apprec_out.build_apprec(apprec_out.UNKNOWN, apprec_out.REJECTED, now=NOW)


def test_hub_reply_is_itself_accepted_as_incoming_apprec(ctx: MappingContext) -> None:
    """The hub's own Avvist reply parses as an incoming AppRec and maps to MESSAGE_REJECTED."""
    reply = apprec_out.reply_for(sample("Utskrivningsrapport_v1-6_Ny.xml"), UnsupportedMessage("x"), now=NOW)
    events = FORMAT.accept(reply or b"", ctx).events
    assert [e.event_type.value for e in events] == ["MESSAGE_REJECTED"]
