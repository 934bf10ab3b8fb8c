"""Pages the machine could not place go to the review queue as an item of kind "page"; a page
records whether its stored image is straightened to the layout (question crops can be cut from
it) or kept as scanned. Until now only pages placed on a sheet kept an image, always straightened."""

from django.db import migrations, models


def mark_straightened(apps, schema_editor):
    ScanPage = apps.get_model("surveys", "ScanPage")
    ScanPage.objects.exclude(sheet=None).exclude(image="").update(aligned=True)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0005_dashboard_indexes")]

    operations = [
        migrations.AddField(
            model_name="scanpage",
            name="aligned",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_straightened, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="reviewitem",
            name="kind",
            field=models.CharField(
                choices=[("choice", "Mark to check"), ("text", "Writing to type"), ("page", "Page to identify")],
                max_length=10,
            ),
        ),
    ]
