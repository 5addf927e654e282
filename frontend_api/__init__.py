"""The agentnet HTTP API: an event indexer, JSON routes and the dashboard page.

* :mod:`~frontend_api.db`: the index's SQLite schema, its version and connections;
* :mod:`~frontend_api.events`: decoded contract events as the index stores them;
* :mod:`~frontend_api.apply`: which table each event changes, and the reorg rebuild;
* :mod:`~frontend_api.apply_tasks`, :mod:`~frontend_api.apply_agents`,
  :mod:`~frontend_api.apply_models`: how events change tasks, agents and models;
* :mod:`~frontend_api.indexer`: follows every event of the three contracts (reorg-aware);
* :mod:`~frontend_api.task_queries`, :mod:`~frontend_api.agent_queries`,
  :mod:`~frontend_api.stats`: the read side (tasks; agents and models; statistics);
* :mod:`~frontend_api.outputs`: decoding of task inputs and outputs for people;
* :mod:`~frontend_api.validate`: request parsing (HTTP 400 naming the field);
* :mod:`~frontend_api.prepare`: unsigned ``createTask`` transactions for a wallet;
* :mod:`~frontend_api.routes`: the HTTP handlers;
* :mod:`~frontend_api.openapi`, :mod:`~frontend_api.schemas`: the OpenAPI document;
* :mod:`~frontend_api.app`: ``create_app`` and :class:`~frontend_api.app.ApiServer`;
* :mod:`~frontend_api.cli`: ``agentnet api``;
* ``static/``: the dashboard page (plain JS and SVG, no build step, nothing external).
"""
