"""The server around Streamlit (issue 24): the light public pages (/intake, /track as plain HTML) and the wire
(compression, caching). Mounted by serve.py through st.App; never imports streamlit, like services/."""
