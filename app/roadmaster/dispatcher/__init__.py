"""Roadie, the AI dispatcher: a streaming chat grounded in the player's own log.

No Qt here (the fences): the dock in :mod:`roadmaster.ui.dispatcher_dock` and the
``ask`` command both drive :class:`~roadmaster.dispatcher.session.Dispatcher`.
"""
