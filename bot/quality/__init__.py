"""How well the bot routes: ``aftercare eval`` over a labelled test file (:mod:`.evaluate`) and its
self-contained HTML page (:mod:`.report`)."""
