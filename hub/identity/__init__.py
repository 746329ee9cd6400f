"""Person identifiers: validation (fnr, D-, H-, FH-nummer) and keyed HMAC pseudonyms."""

from hub.identity.numbers import NumberKind, PersonNumber, parse_person_number
from hub.identity.pseudonym import Pseudonymiser, PseudonymousPerson, is_token

__all__ = [
    "NumberKind",
    "PersonNumber",
    "Pseudonymiser",
    "PseudonymousPerson",
    "is_token",
    "parse_person_number",
]
