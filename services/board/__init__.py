"""The public board (公示栏): the publication layer of whitelisted public fields, its shipped texts, and typical
cases from pick to de-identified, approved post.
"""
