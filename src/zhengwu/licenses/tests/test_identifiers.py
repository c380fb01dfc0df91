"""证照标识 (GB/T 36904): the MOD 37,36 check character and parsing."""

import pytest

from zhengwu.licenses import identifiers

VECTORS = [
    (
        "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        "11100000000013338W01111430000006122244L20230000403001",
        7,
        "U",
    ),
    (
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
        "11100000000013338W00911330105002500287C2025052201002",
        1,
        "0",
    ),
]


@pytest.mark.parametrize("identifier, payload, product, check", VECTORS)
def test_standard_vectors(identifier, payload, product, check):
    # when
    parsed = identifiers.parse(identifier)
    # then
    assert parsed.payload == payload
    assert identifiers._run(payload) == product
    assert identifiers.check_character(payload) == check
    assert parsed.check == check
    assert str(parsed) == identifier
    assert (
        identifiers.build(
            type_code=parsed.type_code,
            issuer_code=parsed.issuer_code,
            serial=parsed.serial,
            version=parsed.version,
        )
        == identifier
    )


@pytest.mark.parametrize(
    "identifier, field",
    [
        # wrong check characters
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V",
            "check",
        ),
        (
            "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.1",
            "check",
        ),
        # one character of the payload changed, the check kept
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000404.001.U",
            "check",
        ),
        (
            "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.003.0",
            "check",
        ),
        # two adjacent characters swapped
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20320000403.001.U",
            "check",
        ),
        # malformed parts
        (
            "1.2.156.3005.1.11100000000013338W011.11430000006122244L.20230000403.001.U",
            "root",
        ),
        (
            "1.2.156.3005.2.11100000000013338W01.11430000006122244L.20230000403.001.U",
            "type_code",
        ),
        (
            "1.2.156.3005.2.11100000000013338W011.1143000000612224.20230000403.001.U",
            "issuer_code",
        ),
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023000040a.001.U",
            "serial",
        ),
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.01.U",
            "version",
        ),
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.u",
            "check",
        ),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.001.U", "identifier"),
    ],
)
def test_corrupted_identifiers_are_refused_naming_the_part(identifier, field):
    # when
    with pytest.raises(identifiers.IdentifierError) as caught:
        identifiers.parse(identifier)
    # then
    assert field in caught.value.fields
    assert not identifiers.is_valid(identifier)


def test_every_single_character_substitution_is_detected():
    # given
    payload = VECTORS[0][1]
    check = VECTORS[0][3]
    # when / then: MOD 37,36 detects every single substitution
    for position in range(len(payload)):
        for char in identifiers.ALPHABET:
            if char == payload[position]:
                continue
            altered = payload[:position] + char + payload[position + 1 :]
            assert not identifiers.check_character_valid(altered, check)
