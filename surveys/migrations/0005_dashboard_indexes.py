"""An index for the dashboards' cache key: the latest response id of one survey.

Dashboards cache their SQL aggregates keyed by MAX(id) of the survey's responses, so that key
must cost the same at ten thousand responses as at a million. SQLite's index on survey_id
already ends in the row id; PostgreSQL's does not, and without this index it scans the primary
key backwards past every newer response of other surveys. Database-only (no model state): the
model's Meta can adopt it later with SeparateDatabaseAndState.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("surveys", "0004_paper")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS response_survey_latest ON surveys_response (survey_id, id)",
            reverse_sql="DROP INDEX IF EXISTS response_survey_latest",
            elidable=False,
        ),
    ]
