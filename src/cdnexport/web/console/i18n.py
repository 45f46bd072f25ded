"""The console's words in zh-cn and en-us; a page asks for them by key with ``t(key)``."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh-cn", "en-us")
DEFAULT = "en-us"

# key: (zh-cn, en-us)
_WORDS: Final[dict[str, tuple[str, str]]] = {
    "product": ("cdnexport 控制台", "cdnexport console"),
    "operator_console": ("cdnexport 运维控制台", "cdnexport operator console"),
    "nav_usage": ("用量", "Usage"),
    "nav_exports": ("导出", "Exports"),
    "nav_summaries": ("PDF 汇总", "PDF summaries"),
    "summaries_title": ("PDF 用量汇总", "PDF usage summaries"),
    "new_summary": ("新建 PDF 汇总", "New PDF summary"),
    "summary_hint": (
        "整个账号在所选时间段内的用量汇总：各计费区域的流量、带宽峰值与 95 峰值，"
        "每日明细与用量最大的 20 个域名。",
        "The whole account over the chosen window: traffic, peak and 95th-percentile bandwidth "
        "per billing region, a daily table and the 20 largest domains.",
    ),
    "create_summary": ("创建 PDF 汇总", "Create PDF summary"),
    "summary_tasks": ("PDF 汇总任务", "PDF summary tasks"),
    "no_summaries": ("还没有 PDF 汇总任务。", "No PDF summary tasks yet."),
    "summary_created": ("PDF 汇总任务已创建。", "The PDF summary task was created."),
    "summary_deleted": ("PDF 汇总任务已删除。", "The PDF summary task was deleted."),
    "summary_failed": ("无法创建 PDF 汇总", "The PDF summary could not be created"),
    "nav_accounts": ("账号", "Accounts"),
    "nav_domains": ("域名和分组", "Domains and groups"),
    "nav_freshness": ("用量数据新鲜度", "Usage freshness"),
    "nav_queue": ("任务队列", "Queue"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "signed_in_as": ("当前账号", "Signed in as"),
    "access_key_id": ("AccessKey ID", "AccessKey ID"),
    "access_key_secret": ("AccessKey Secret", "AccessKey Secret"),
    "signin_intro": (
        "使用账号的 AccessKey ID 和 AccessKey Secret 登录。",
        "Sign in with your account's AccessKey ID and AccessKey Secret.",
    ),
    "operator_name": ("运维人员名称", "Operator name"),
    "password": ("密码", "Password"),
    "operator_signin_intro": (
        "运维人员登录（账号由 cdnexport operator add 创建）。",
        "Operator sign-in (created with cdnexport operator add).",
    ),
    "signin_failed": (
        "登录失败：凭证无效或账号已停用。",
        "Sign-in failed: the credentials are not valid or the account is disabled.",
    ),
    "signin_throttled": (
        "登录尝试过多，请稍后再试。",
        "Too many sign-in attempts. Please try again later.",
    ),
    "session_ended": ("会话已结束，请重新登录。", "Your session has ended. Please sign in again."),
    "csrf_failed": (
        "页面已过期，请刷新后重试。",
        "This page has expired. Reload it and try again.",
    ),
    "language": ("语言", "Language"),
    "file_format": ("文件格式", "File format"),
    "format_xlsx": ("Excel 工作簿 (xlsx)", "Excel workbook (xlsx)"),
    "format_csv": ("CSV", "CSV"),
    "format_csv.gz": ("CSV，gzip 压缩 (csv.gz)", "CSV, gzipped (csv.gz)"),
    "format_parquet": ("Parquet", "Parquet"),
    "format_hint": (
        "CSV 与 Parquet 只含明细行，不受 Excel 行数限制。",
        "CSV and Parquet hold the detail rows only, without Excel's row limit.",
    ),
    # Usage
    "usage_title": ("用量", "Usage"),
    "metric": ("指标", "Metric"),
    "metric_bandwidth": ("带宽", "Bandwidth"),
    "metric_traffic": ("流量", "Traffic"),
    "metric_requests": ("请求数", "Requests"),
    "interval": ("粒度", "Interval"),
    "interval_300": ("5 分钟", "5 minutes"),
    "interval_3600": ("1 小时", "1 hour"),
    "interval_86400": ("1 天", "1 day"),
    "start_utc": ("开始时间 (UTC)", "Start (UTC)"),
    "end_utc": ("结束时间 (UTC)", "End (UTC)"),
    "domains": ("域名", "Domains"),
    "all_domains": ("全部域名", "All domains"),
    "region": ("区域", "Region"),
    "all_regions": ("全部区域", "All regions"),
    "show": ("查询", "Show"),
    "total": ("总计", "Total"),
    "peak": ("峰值", "Peak"),
    "peak_time": ("峰值时间", "Peak time"),
    "p95": ("95 峰值", "95th percentile"),
    "per_domain_region": ("按域名和区域", "By domain and region"),
    "domain": ("域名", "Domain"),
    "no_usage": ("所选范围内没有用量数据。", "No usage in the chosen window."),
    "chart_alt": ("图表数据（文本）", "Chart data (text)"),
    "time_utc": ("时间 (UTC)", "Time (UTC)"),
    "value": ("数值", "Value"),
    "usage_help": (
        "窗口最长 31 天；数值与 DescribeDomainUsageData 和导出文件的汇总一致。",
        "At most 31 days; the figures agree with DescribeDomainUsageData and the workbook summary.",
    ),
    # Exports
    "exports_title": ("导出", "Exports"),
    "new_export": ("新建导出", "New export"),
    "type": ("类型", "Type"),
    "type_flow": ("flow（流量和带宽）", "flow (traffic and bandwidth)"),
    "type_vas": ("vas（增值服务请求数）", "vas (value-added requests)"),
    "scope": ("范围", "Scope"),
    "scope_all": ("全部域名", "All domains"),
    "scope_domains": ("所选域名", "Chosen domains"),
    "scope_group": ("域名分组", "A group"),
    "group": ("分组", "Group"),
    "no_group": ("（不使用分组）", "(no group)"),
    "time_zone": ("时区", "Time zone"),
    "task_name": ("任务名称", "Task name"),
    "create_export": ("创建导出", "Create export"),
    "tasks": ("导出任务", "Export tasks"),
    "task_id": ("任务 ID", "Task ID"),
    "status": ("状态", "Status"),
    "status_created": ("进行中", "In progress"),
    "status_success": ("已完成", "Done"),
    "status_failed": ("失败", "Failed"),
    "progress": ("进度", "Progress"),
    "rows": ("行数", "Rows"),
    "size": ("大小", "Size"),
    "created": ("创建时间", "Created"),
    "window": ("时间范围", "Window"),
    "download": ("下载", "Download"),
    "delete": ("删除", "Delete"),
    "no_tasks": ("最近 90 天没有导出任务。", "No export tasks in the last 90 days."),
    "export_created": ("导出任务已创建。", "The export task was created."),
    "export_deleted": ("导出任务已删除。", "The export task was deleted."),
    "export_failed": ("无法创建导出", "The export could not be created"),
    "delete_failed": ("无法删除", "Could not delete"),
    "chosen_hint": (
        "不选即全部域名（按住 Ctrl 多选）；选了分组时按分组导出。",
        "None selected: all domains (Ctrl to pick several). A group, when chosen, is used instead.",
    ),
    "usage_domains_hint": (
        "不选即全部域名（按住 Ctrl 多选）。",
        "None selected: all domains (Ctrl to pick several).",
    ),
    # Operators
    "accounts_title": ("账号", "Accounts"),
    "account": ("账号", "Account"),
    "name": ("名称", "Name"),
    "state": ("状态", "State"),
    "active": ("启用", "Active"),
    "disabled": ("已停用", "Disabled"),
    "domain_count": ("域名数", "Domains"),
    "actions": ("操作", "Actions"),
    "create_account": ("创建账号", "Create account"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "rotate_key": ("轮换 AccessKey", "Rotate AccessKey"),
    "disable_key": ("停用 AccessKey", "Disable AccessKey"),
    "new_key_notice": (
        "新的 AccessKey 只显示这一次，请妥善保存：",
        "The new AccessKey is shown this once only; keep it safe:",
    ),
    "domains_title": ("域名和分组", "Domains and groups"),
    "add_domains": ("添加域名", "Add domains"),
    "domain_names_hint": ("域名（逗号分隔）", "Domain names (comma-separated)"),
    "groups": ("分组", "Groups"),
    "group_name": ("分组名称", "Group name"),
    "create_group": ("创建分组", "Create group"),
    "members": ("成员", "Members"),
    "freshness_title": ("用量数据新鲜度", "Usage freshness"),
    "newest_sample": ("最新样本 (UTC)", "Newest sample (UTC)"),
    "samples_last_day": ("近 24 小时样本数", "Samples in the last day"),
    "none": ("无", "none"),
    "queue_title": ("任务队列", "Queue"),
    "waiting": ("等待中", "Waiting"),
    "running": ("运行中", "Running"),
    "failed": ("失败", "Failed"),
    "worker": ("工作进程", "Worker"),
    "attempts": ("尝试次数", "Attempts"),
    "reason": ("原因", "Reason"),
    "retry": ("重试", "Retry"),
    "queue_empty": ("无", "None"),
    "done": ("完成。", "Done."),
    "error": ("错误", "Error"),
    "not_found": ("未找到", "Not found"),
}


def pick(accept_language: str, cookie: str | None) -> str:
    """The remembered choice, else the browser's first supported language, else English."""
    if cookie in LANGUAGES:
        return cookie
    for part in accept_language.lower().split(","):
        tag = part.split(";")[0].strip()
        if tag.startswith("zh"):
            return "zh-cn"
        if tag.startswith("en"):
            return "en-us"
    return DEFAULT


def translate(lang: str, key: str) -> str:
    words = _WORDS[key]
    text = words[0] if lang == "zh-cn" else words[1]
    return text


def keys() -> frozenset[str]:
    return frozenset(_WORDS)
