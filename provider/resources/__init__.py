"""The resources. The provider process imports this package first, whichever resource it serves, so its log
settings apply from the start and it watches its engine (engine_watch: an interrupted run leaves no upload and no
orphaned provider process behind)."""
from ..logs import configure_from_environment
from . import engine_watch

configure_from_environment()
engine_watch.start()  # does nothing outside the process the engine launched
