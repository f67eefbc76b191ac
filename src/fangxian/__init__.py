"""Fangxian (防线): a district/county epidemic prevention and control command platform."""
