"""What the page's script says about sending (Chinese), in one place, baked into the script.

The answer errors themselves come from `manyi.messages.ANSWER`, so the page and the collector
use the very same words; these are only the states that exist in the browser.
"""

from __future__ import annotations

from typing import Final

STATUS: Final[dict[str, str]] = {
    "sending": "正在提交，请稍候……",
    "offline": ("网络暂时连不上。您的答卷已保存在本页，恢复联网后会自动提交，请不要关闭本页。"),
    "retry": "服务器暂时繁忙。您的答卷已保存在本页，稍后会自动重新提交，请不要关闭本页。",
    "stale": ("问卷内容已经更新。您的答案已保存，请点“刷新问卷”，核对后再提交。"),
    "reload": "刷新问卷",
    "failed": "提交没有成功：{message}",
    "fix": "请先修改下面标出的 {count} 处，再提交。",
    "resumed": "已恢复您上次填写但未提交的答案。",
    "filter_count": "找到 {count} 个单位",
}
