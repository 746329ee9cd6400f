"""KPR / municipal KAD connector: IPLOS XML extracts and the KPR CSV feed over HTTP or from files."""
