"""The live board of ``hub demo``: bed occupancy, utskrivningsklare, samhandlingsavvik and ambulance response.

* :mod:`hub.board.view` — pure aggregator of the output records into a JSON view model (:class:`BoardState`),
  helped by :mod:`~hub.board.ambulance`, :mod:`~hub.board.series` and :mod:`~hub.board.labels` (all pure);
* :mod:`hub.board.feed` — Kafka consumer thread feeding a :class:`BoardState`;
* :mod:`hub.board.server` — aiohttp app (page, ``/api/snapshot``, SSE ``/api/stream``), :func:`start_board`;
* ``static/`` — the page: plain JS and hand-drawn SVG, no build step, nothing from a CDN.
"""
