"""Getting the data: the registry of public files, fetching, the archive, ISW's ArcGIS
services, and the credit each source asks for.
"""
