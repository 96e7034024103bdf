"""Kirkuk Control Map dashboard (placeholder until the dashboard issue lands): the gazetteer's places on a map."""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

st.set_page_config(page_title="Kirkuk Control Map", layout="wide")
st.title("Kirkuk Control Map")
m = folium.Map(location=[35.47, 44.39], zoom_start=7)
st_folium(m, height=600, returned_objects=[])
