"""The agentnet HTTP API: an event indexer, JSON routes and the dashboard page.

* :mod:`~frontend_api.db`: the indexer's SQLite schema;
* :mod:`~frontend_api.apply`: how each contract event changes the indexed tables;
* :mod:`~frontend_api.indexer`: follows every event of the three contracts (reorg-aware);
* :mod:`~frontend_api.queries`: the read side (tasks, agents, models, stats);
* :mod:`~frontend_api.outputs`: decoding of task inputs and outputs for people;
* :mod:`~frontend_api.validate`: request parsing (HTTP 400 naming the field);
* :mod:`~frontend_api.prepare`: unsigned ``createTask`` transactions for a wallet;
* :mod:`~frontend_api.routes`, :mod:`~frontend_api.openapi`: the HTTP surface;
* :mod:`~frontend_api.app`: ``create_app`` and :class:`~frontend_api.app.ApiServer`;
* :mod:`~frontend_api.cli`: ``agentnet api``;
* ``static/``: the dashboard page (plain JS and SVG, no build step, nothing external).
"""
