"""The demo tenant `serve --demo` creates once: an account, domains, a group and usage."""

from __future__ import annotations

from cdnexport.db import accounts
from cdnexport.db.accounts import Account
from cdnexport.domain.window import format_utc
from cdnexport.services import Services
from cdnexport.usage.demo import generate_demo

DEMO_ACCOUNT = "demo"


def ensure_demo_tenant(services: Services, *, domains: int = 3, days: int = 35) -> Account:
    """The demo account, created with its data on first use."""
    now = int(services.clock.now())
    with services.db.write() as conn:
        try:
            return accounts.by_name(conn, DEMO_ACCOUNT)
        except accounts.NotFound:
            account = accounts.create_account(conn, DEMO_ACCOUNT, now)
    generate_demo(services.db, account.id, domains=domains, days=days, now=now)
    return account


def usage_banner(account: Account, public_url: str, now: int) -> str:
    """What a new user needs to call the service: endpoint, credentials and a snippet."""
    endpoint = public_url.split("://", 1)[-1]
    protocol = public_url.split("://", 1)[0]
    day = 86400
    start = format_utc((now // day - 7) * day)
    end = format_utc((now // day) * day)
    return f"""
cdnexport is serving the demo tenant.
  Endpoint        : {public_url}
  AccessKeyId     : {account.access_key_id}
  AccessKeySecret : {account.access_key_secret}
  Web console     : {public_url}/console/  (sign in with the AccessKey ID and Secret above)

Try it with the official SDK (pip install alibabacloud_cdn20180510):

from alibabacloud_tea_openapi.utils_models import Config
from alibabacloud_cdn20180510.client import Client
from alibabacloud_cdn20180510 import models
client = Client(Config(access_key_id="{account.access_key_id}",
                       access_key_secret="{account.access_key_secret}",
                       endpoint="{endpoint}", protocol="{protocol}"))
task = client.create_usage_detail_data_export_task(models.CreateUsageDetailDataExportTaskRequest(
    type="flow", start_time="{start}", end_time="{end}"))
print(task.body.task_id)
page = client.describe_user_usage_detail_data_export_task(
    models.DescribeUserUsageDetailDataExportTaskRequest(page_size=10, page_number=1))
for item in page.body.usage_data_per_page.data.data_item:
    print(item.task_id, item.status, item.download_url)
"""
