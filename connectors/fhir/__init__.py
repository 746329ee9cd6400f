"""FHIR R4 Encounter/Patient over HTTP: parsing (fhir.resources R4B models), mapping, redaction, server."""
