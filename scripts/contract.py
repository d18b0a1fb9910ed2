#!/usr/bin/env python3
"""Builds src/domain/data/api_entreprise_contract.json from API Entreprise's
OpenAPI contract (../shared/data/api_entreprise_openapi.yaml): for each of its
operations, the path, the provider (its error-code prefix and name, read from
the documented 404), the path and query parameters, the identifiers the
contract documents (the examples of its path parameters), the scopes that open
it, the documented 404 body, and a sandbox answer built from the 200 schema's
own examples, checked against that schema (the sandbox marks it as
fictitious in its `meta`).

Which scopes open which operation is not in the contract (its security is the
bearer token alone): it is read from the published catalogue
(`api_entreprise_endpoints.json`, apistration's authorizations) for the
operations it lists, and from ACCESS below, from each operation's description
and the scope list (`api_entreprise_scopes.json`), for the others.

Run it again when the contract changes:
    python3 scripts/contract.py [path/to/api_entreprise_openapi.yaml]
`--check` writes nothing and fails if the committed file differs (CI).
It needs PyYAML and jsonschema (both installed with schemathesis).
"""

import copy
import json
import pathlib
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARGS = [a for a in sys.argv[1:] if a != "--check"]
CHECK = "--check" in sys.argv[1:]
CONTRACT = pathlib.Path(ARGS[0]) if ARGS else ROOT.parent / "shared/data/api_entreprise_openapi.yaml"
CATALOGUE = ROOT / "src/domain/data/api_entreprise_endpoints.json"
SCOPES = ROOT / "src/domain/data/api_entreprise_scopes.json"
OUT = ROOT / "src/domain/data/api_entreprise_contract.json"

OPEN = "open_data"
INSEE = "unites_legales_etablissements_insee"

# Operations the published catalogue does not list: the form scopes that
# open them, from their description and the scope list's labels and links.
ACCESS = {
    "/v3/urssaf/unites_legales/{siren}/attestation_vigilance": ["attestation_sociale_urssaf"],
    "/v4/urssaf/unites_legales/{siren}/attestation_vigilance": ["attestation_sociale_urssaf"],
    "/v3/ademe/etablissements/{siret}/certification_rge": [OPEN],
    "/v3/banque_de_france/unites_legales/{siren}/bilans": ["bilans_bdf"],
    "/v3/cibtp/etablissements/{siret}/attestation_cotisations_conges_payes_chomage_intemperies": [
        "attestation_cotisations_conges_payes_chomage_intemperies_cibtp_cnetp"
    ],
    "/v3/cnetp/unites_legales/{siren}/attestation_cotisations_conges_payes_chomage_intemperies": [
        "attestation_cotisations_conges_payes_chomage_intemperies_cibtp_cnetp"
    ],
    "/v3/douanes/etablissements/{siret_or_eori}/immatriculations_eori": [OPEN],
    "/v3/dgfip/unites_legales/{siren}/attestation_fiscale": ["attestation_fiscale_dgfip"],
    "/v4/djepva/api-association/associations/{siren_or_rna}": ["associations_djepva"],
    "/v4/djepva/api-association/associations/open_data/{siren_or_rna}": [OPEN, "associations_djepva"],
    "/v3/european_commission/unites_legales/{siren}/numero_tva": [OPEN],
    "/v3/fntp/unites_legales/{siren}/carte_professionnelle_travaux_publics": [OPEN],
    "/v3/gip_mds/unites_legales/{siren}/effectifs_annuels/{year}": ["effectifs_urssaf"],
    "/v3/infogreffe/rcs/unites_legales/{siren}/extrait_kbis": [OPEN],
    "/v3/inpi/rne/unites_legales/{siren}/extrait_rne": [INSEE],
    "/v3/insee/sirene/etablissements/{siret}/adresse": [INSEE],
    "/v3/insee/sirene/etablissements/diffusibles/{siret}/adresse": [OPEN, INSEE],
    "/v3/insee/sirene/etablissements/{siret}": [INSEE],
    "/v3/insee/sirene/etablissements/diffusibles/{siret}": [OPEN, INSEE],
    "/v4/insee/sirene/etablissements/diffusibles/{siret}": [OPEN, INSEE],
    "/v3/insee/sirene/unites_legales/diffusibles/{siren}/siege_social": [OPEN, INSEE],
    "/v4/insee/sirene/unites_legales/diffusibles/{siren}/siege_social": [OPEN, INSEE],
    "/v3/insee/sirene/unites_legales/{siren}/siege_social": [INSEE],
    "/v4/insee/sirene/unites_legales/{siren}/siege_social": [INSEE],
    "/v3/insee/sirene/unites_legales/{siren}": [INSEE],
    "/v3/insee/sirene/unites_legales/diffusibles/{siren}": [OPEN, INSEE],
    "/v4/insee/sirene/unites_legales/diffusibles/{siren}": [OPEN, INSEE],
    "/v3/ministere_interieur/rna/associations/{siret_or_rna}/documents": ["associations_djepva"],
    "/v3/ministere_interieur/rna/associations/{siret_or_rna}": [OPEN, "associations_djepva"],
    "/v3/opqibi/unites_legales/{siren}/certification_ingenierie": [OPEN],
    "/v3/probtp/etablissements/{siret}/attestation_cotisations_retraite": ["cotisations_probtp"],
    "/v3/qualibat/etablissements/{siret}/certification_batiment": [OPEN],
    "/v3/insee/sirene/etablissements/{siret}/successions": [OPEN, INSEE],
    "/v3/cma_france/rnm/unites_legales/{siren}": [OPEN],
}

# What the sandbox adds to each answer's `meta`.
FICTITIOUS = {
    "donnees_fictives": True,
    "avertissement": "Bac à sable Guichet : données fictives, reprises des exemples du contrat "
    "d'API Entreprise. Aucune donnée réelle n'est transmise.",
}


def openapi_to_jsonschema(schema):
    """OpenAPI 3.0's `nullable` as JSON Schema, recursively."""
    if isinstance(schema, list):
        return [openapi_to_jsonschema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: openapi_to_jsonschema(v) for k, v in schema.items() if k not in ("nullable", "example", "properties")}
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {k: openapi_to_jsonschema(v) for k, v in schema["properties"].items()}
    # Two types of the contract are not JSON Schema's: "date" (a string) and
    # "personne_morale" (an enum's value written as its type).
    if out.get("type") == "date":
        out["type"] = "string"
    elif isinstance(out.get("type"), str) and out["type"] not in (None, "array", "boolean", "integer", "number", "object", "string"):
        del out["type"]
    if schema.get("nullable"):
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = list(out["enum"]) + [None]
    # "float", "double" and "boolean" are not JSON Schema formats.
    if out.get("format") in ("float", "double", "boolean"):
        del out["format"]
    return out


def by_type(schema):
    t = schema.get("type")
    fmt = schema.get("format")
    if "enum" in schema:
        return schema["enum"][0]
    if t == "object" or "properties" in schema:
        return {k: sample(v) for k, v in (schema.get("properties") or {}).items()}
    if t == "array":
        return [sample(schema.get("items") or {}) for _ in range(max(1, schema.get("minItems", 1)))]
    if t == "integer":
        return max(0, schema.get("minimum", 0))
    if t == "number":
        return 0
    if t == "boolean":
        return False
    if fmt == "date":
        return "2023-01-01"
    if fmt == "date-time":
        return "2023-01-01T00:00:00Z"
    return "exemple"


def sample(schema):
    """A value for `schema`: its own example where it is valid, else one
    built from its type."""
    for key in ("allOf",):
        if key in schema:
            merged = {}
            for part in schema[key]:
                merged.update(part)
            return sample(merged)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return sample(schema[key][0])
    validator = jsonschema.Draft7Validator(openapi_to_jsonschema(schema), format_checker=jsonschema.FormatChecker())
    if "example" in schema and validator.is_valid(schema["example"]):
        value = schema["example"]
        # An object's example may leave out properties: complete it.
        if isinstance(value, dict) and "properties" in schema:
            full = dict(value)
            for k, v in schema["properties"].items():
                full.setdefault(k, sample(v))
            if validator.is_valid(full):
                return full
        return value
    value = by_type(schema)
    if validator.is_valid(value):
        return value
    if schema.get("nullable"):
        return None
    return value


def open_object(schema, key):
    """Whether `schema` lets its object property `key` take more fields."""
    props = schema.get("properties") or {}
    field = props.get(key)
    if field is None:
        return schema.get("additionalProperties") is not False
    return field.get("type") in (None, "object") and field.get("additionalProperties") is not False


def marked(body, schema):
    """`body` with the sandbox's mark in its `meta` where the schema lets it,
    else in its `links` (the header marks every answer anyway)."""
    for key in ("meta", "links"):
        if open_object(schema, key):
            body = dict(body)
            current = body.get(key) if isinstance(body.get(key), dict) else {}
            body[key] = {**current, **FICTITIOUS}
            return body
    return body


def param_kind(name):
    return {
        "siren": "siren",
        "siret": "siret",
        "year": "year",
        "month": "month",
        "siret_or_rna": "siret_or_rna",
        "siren_or_rna": "siren_or_rna",
        "siren_or_siret_or_rna": "siren_or_siret_or_rna",
        "siret_or_eori": "siret_or_eori",
    }[name]


def examples_of(param):
    values = []
    if "example" in param:
        values.append(str(param["example"]))
    for ex in (param.get("examples") or {}).values():
        if "value" in ex:
            values.append(str(ex["value"]))
    schema = param.get("schema") or {}
    if "example" in schema:
        values.append(str(schema["example"]))
    return sorted(set(values))


def main():
    contract = yaml.safe_load(CONTRACT.read_text())
    catalogue = {e["path"]: e for e in json.loads(CATALOGUE.read_text())["endpoints"]}
    scopes = {s["value"] for s in json.loads(SCOPES.read_text())["scopes"]}
    token_scopes = {OPEN} | {s for s in scopes if not s.startswith("open_data_")}
    operations = []
    problems = []
    for path, item in contract["paths"].items():
        op = item["get"]
        responses = op["responses"]
        entry = {
            "path": path,
            "operation_id": (responses.get("200") or {}).get("x-operationId", ""),
            "summary": op.get("summary", ""),
        }
        if path == "/privileges":
            entry["kind"] = "privileges"
            operations.append(entry)
            continue
        entry["kind"] = "data"
        # The provider, from the documented 404.
        not_found = responses["404"]["content"]["application/json"]["examples"]
        errors = [e["value"]["errors"][0] for e in not_found.values()]
        error = next((e for e in errors if e["code"].endswith("003")), errors[0])
        entry["provider_code"] = error["code"][:2]
        entry["provider_name"] = (error.get("meta") or {}).get("provider", "")
        entry["not_found"] = {"errors": [{**error, "meta": {**(error.get("meta") or {}), **FICTITIOUS}}]}
        # Which scopes open it.
        if path in catalogue:
            accepted = [s for s in catalogue[path]["accepted_scopes"] if s in token_scopes]
            accepted += [s for s in ACCESS.get(path, []) if s not in accepted]
        else:
            accepted = ACCESS.get(path, [])
        unknown = [s for s in accepted if s not in token_scopes]
        if not accepted or unknown:
            problems.append(f"{path}: scopes {accepted} (unknown: {unknown})")
        entry["scopes"] = accepted
        entry["unavailable_for_legal_reasons"] = "451" in responses
        params = []
        for p in op.get("parameters", []):
            if p["in"] == "path":
                params.append({"name": p["name"], "kind": param_kind(p["name"]), "examples": examples_of(p)})
        entry["path_params"] = params
        entry["query_params"] = [
            {"name": p["name"], "schema": p.get("schema") or {}}
            for p in op.get("parameters", [])
            if p["in"] == "query" and p["name"] not in ("recipient", "context", "object")
        ]
        schema = responses["200"]["content"]["application/json"]["schema"]
        body = marked(sample(schema), schema)
        errors = list(jsonschema.Draft7Validator(openapi_to_jsonschema(schema), format_checker=jsonschema.FormatChecker()).iter_errors(body))
        if errors:
            problems.append(f"{path}: sample invalid: {errors[0].message} at {list(errors[0].path)}")
        entry["sample"] = body
        operations.append(entry)
    if problems:
        sys.exit("\n".join(problems))
    text = (
        json.dumps(
            {
                "source": "Built by scripts/contract.py from API Entreprise's OpenAPI contract "
                f"({CONTRACT.name}, {len(operations)} operations): paths, parameters, documented "
                "identifiers and errors, and sandbox answers made of the contract's own examples.",
                "operations": operations,
            },
            ensure_ascii=False,
            indent=0,
            sort_keys=False,
        )
        + "\n"
    )
    if CHECK:
        if OUT.read_text() != text:
            sys.exit(f"{OUT.relative_to(ROOT)} is stale: run python3 scripts/contract.py")
        print(f"{OUT.relative_to(ROOT)}: up to date with {CONTRACT.name} ({len(operations)} operations)")
        return
    OUT.write_text(text)
    print(f"{OUT.relative_to(ROOT)}: {len(operations)} operations, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
