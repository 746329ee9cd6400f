"""PLO/ELIN-k connector: MsgHead PLO, Dialogmelding, Epikrise and AppRec over HTTP and a drop directory."""
