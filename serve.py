"""Start the Streamlit server for app.py with legacy `pages/` folder routing switched off.

Streamlit 1.67 sees the `pages/` package beside app.py and routes the first script run of a fresh
process through its legacy folder router, which does not know our st.navigation pages: the first
visitor of a deep link such as /intake?org=V001 or /workbench gets a "Page not found" dialog. The
flag is process-wide and is only ever set when still unset, so setting it here, before the server
starts, makes every run go through app.py's own navigation. Usage: python serve.py [streamlit options]
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from services.core import logs as applog
from services.core.config import ConfigError, get_settings

APP = Path(__file__).resolve().parent / "app.py"

if __name__ == "__main__":
    PagesManager.uses_pages_directory = False
    applog.configure()  # the app's own INFO lines in the server log beside Streamlit's
    try:
        get_settings()  # a bad value stops the start here, naming the variable
    except ConfigError as err:
        sys.exit(f"refusing to start: {err}")
    sys.argv = ["streamlit", "run", str(APP), *sys.argv[1:]]
    sys.exit(cli.main())
