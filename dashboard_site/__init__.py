"""Static dashboard site generator (report HTML + PNG charts for stakeholders).

The weekly-report job renders the site here and publishes it to the site bucket; the
generator itself arrives with the reporting issue. The package exists now so the layout
shows the architecture and the editable install maps it.
"""
