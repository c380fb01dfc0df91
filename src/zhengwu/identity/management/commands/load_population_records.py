"""Load base records from a CSV file (UTF-8, header row):

* population records: ``name,id_number[,status]`` (status ``normal`` or ``cancelled``);
* legal-person records: ``credit_code,name,representative_name,representative_id_number
  [,kind][,status]`` (kind ``enterprise``/``institution``/``social``/``other``, status
  ``active`` or ``deregistered``).

The header says which. All or nothing: when any row is bad, nothing is written and
every bad row is reported with its line and reason. Loading the same file twice
changes nothing (rows are matched on the ID number's blind index or the credit code).
ID numbers are stored encrypted, representatives' only as a blind index."""

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from zhengwu.core.crypto import blind_index
from zhengwu.core.validators import is_valid_id_number, is_valid_uscc
from zhengwu.identity.constants import EntityKind
from zhengwu.identity.models import LegalPersonRecord, PopulationRecord
from zhengwu.identity.persons import name_errors, normalise_id_number

POPULATION_COLUMNS = {"name", "id_number"}
LEGAL_PERSON_COLUMNS = {
    "credit_code",
    "name",
    "representative_name",
    "representative_id_number",
}


class Command(BaseCommand):
    help = "Load population or legal-person base records from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_path", type=Path)

    def handle(self, *args: Any, csv_path: Path, **options: Any) -> None:
        try:
            with csv_path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                header = {(name or "").strip() for name in reader.fieldnames or []}
                rows = [
                    (
                        reader.line_num,
                        {k.strip(): (v or "").strip() for k, v in row.items() if k},
                    )
                    for row in reader
                ]
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"cannot read {csv_path}: {error}") from error

        if LEGAL_PERSON_COLUMNS <= header:
            kind, parse = "legal-person", _legal_person_row
        elif POPULATION_COLUMNS <= header:
            kind, parse = "population", _population_row
        else:
            raise CommandError(
                f"{csv_path}: the header needs the columns "
                f"{','.join(sorted(POPULATION_COLUMNS))} (population records) or "
                f"{','.join(sorted(LEGAL_PERSON_COLUMNS))} (legal-person records)"
            )

        parsed: list[dict[str, Any]] = []
        problems: list[str] = []
        seen: dict[str, int] = {}
        for line, row in rows:
            values, reasons = parse(row)
            key = values.get("key", "")
            if key and key in seen:
                reasons.append(f"repeats line {seen[key]}")
            elif key:
                seen[key] = line
            if reasons:
                problems.append(f"line {line}: {'; '.join(reasons)}")
            else:
                parsed.append(values)
        if problems:
            raise CommandError(
                f"{csv_path}: {len(problems)} bad row(s), nothing loaded:\n"
                + "\n".join(problems)
            )

        created = updated = 0
        with transaction.atomic():
            for values in parsed:
                if kind == "population":
                    was_created = _save_population(values)
                else:
                    was_created = _save_legal_person(values)
                created += was_created
                updated += not was_created
        self.stdout.write(
            f"{kind} records: {created} added, {updated} already present or updated"
        )


def _population_row(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    reasons: list[str] = []
    name = row.get("name", "")
    id_number = normalise_id_number(row.get("id_number", ""))
    status = row.get("status") or PopulationRecord.Status.NORMAL
    if name_errors(name):
        reasons.append("name is empty, too long or not a name")
    if not is_valid_id_number(id_number):
        reasons.append("id_number is not a valid citizen ID number (GB 11643)")
    if status not in PopulationRecord.Status.values:
        reasons.append(
            f"status must be one of {', '.join(PopulationRecord.Status.values)}"
        )
    index = blind_index(id_number, purpose="id_number") if not reasons else ""
    return {
        "key": index,
        "name": name,
        "id_number": id_number,
        "status": status,
    }, reasons


def _legal_person_row(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    reasons: list[str] = []
    credit_code = row.get("credit_code", "").upper()
    name = row.get("name", "")
    representative = row.get("representative_name", "")
    representative_id = normalise_id_number(row.get("representative_id_number", ""))
    kind = row.get("kind") or EntityKind.ENTERPRISE
    status = row.get("status") or LegalPersonRecord.Status.ACTIVE
    if not is_valid_uscc(credit_code):
        reasons.append("credit_code is not a valid unified social credit code")
    if not name or len(name) > 200:
        reasons.append("name is empty or longer than 200 characters")
    if name_errors(representative):
        reasons.append("representative_name is empty, too long or not a name")
    if not is_valid_id_number(representative_id):
        reasons.append("representative_id_number is not a valid citizen ID number")
    if kind not in EntityKind.values:
        reasons.append(f"kind must be one of {', '.join(EntityKind.values)}")
    if status not in LegalPersonRecord.Status.values:
        reasons.append(
            f"status must be one of {', '.join(LegalPersonRecord.Status.values)}"
        )
    return {
        "key": credit_code if not reasons else "",
        "credit_code": credit_code,
        "name": name,
        "kind": kind,
        "representative_name": representative,
        "representative_id_index": blind_index(representative_id, purpose="id_number")
        if not reasons
        else "",
        "status": status,
    }, reasons


def _save_population(values: dict[str, Any]) -> bool:
    record = PopulationRecord.objects.filter(id_number_index=values["key"]).first()
    if record is None:
        PopulationRecord.objects.create(
            name=values["name"],
            id_number=values["id_number"],
            id_number_index=values["key"],
            status=values["status"],
        )
        return True
    if (record.name, record.status) != (values["name"], values["status"]):
        record.name, record.status = values["name"], values["status"]
        record.save(update_fields=["name", "status", "updated_at"])
    return False


def _save_legal_person(values: dict[str, Any]) -> bool:
    fields = {
        "name": values["name"],
        "kind": values["kind"],
        "representative_name": values["representative_name"],
        "representative_id_index": values["representative_id_index"],
        "status": values["status"],
    }
    record = LegalPersonRecord.objects.filter(credit_code=values["key"]).first()
    if record is None:
        LegalPersonRecord.objects.create(credit_code=values["key"], **fields)
        return True
    changed = [name for name, value in fields.items() if getattr(record, name) != value]
    if changed:
        for name in changed:
            setattr(record, name, fields[name])
        record.save(update_fields=[*changed, "updated_at"])
    return False
