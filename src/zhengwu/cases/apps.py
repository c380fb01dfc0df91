from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The labels of the audit events this app writes (core.audit.record). Every event
# written must have one (core test); the case timeline shows them.
EVENT_LABELS: dict[str, object] = {
    "cases.draft_saved": _("保存草稿"),
    "cases.submitted": _("提交申请"),
    "cases.intake_received": _("收件（异步提交）"),
    "cases.licence_issued": _("依办件决定颁发电子证照"),
    "cases.licence_used": _("以电子证照代替提交材料"),
    "cases.material_licence_used": _("材料使用电子证照"),
    "cases.intake_rejected": _("收件未能生成办件"),
    "cases.accepted": _("受理"),
    "cases.supplement_requested": _("一次性告知补正"),
    "cases.supplemented": _("提交补正材料"),
    "cases.not_accepted": _("不予受理"),
    "cases.withdrawn": _("撤回申请"),
    "cases.decided": _("作出决定"),
    "cases.instant_decided": _("秒批自动办结"),
    "cases.instant_fell_back": _("秒批未能颁发电子证照，转人工审查"),
    "cases.material_base_record_fetched": _("材料从基础库调取，免于提交"),
    "cases.material_added": _("上传申请材料"),
    "cases.material_reused": _("复用已提交材料"),
    "cases.file_downloaded": _("下载文件"),
    "cases.task_claimed": _("认领任务"),
    "cases.task_handed_over": _("转交任务"),
    "cases.task_returned": _("退回任务"),
    "cases.task_completed": _("完成办理环节"),
    "cases.pause_started": _("开始特别程序（暂停计时）"),
    "cases.pause_ended": _("结束特别程序（恢复计时）"),
    "cases.extension_requested": _("申请延长办理期限"),
    "cases.extension_decided": _("审批延期申请"),
    "cases.deadline_recomputed": _("重新计算办结期限"),
    "cases.deadline_state_changed": _("期限状态变化（临期、超期）"),
    "cases.payment_ordered": _("生成缴费订单"),
    "cases.payment_paid": _("缴费成功"),
    "cases.payment_refunded": _("退款"),
    "cases.shipment_ordered": _("邮寄下单"),
    "cases.shipment_updated": _("物流状态更新"),
    "cases.rated": _("评价"),
    "cases.rectification_responded": _("整改反馈"),
    "cases.rectification_closed": _("整改回访办结"),
    "cases.handling_configured": _("修改网上办理配置"),
    "cases.bundle_submitted": _("提交一件事申请"),
    "cases.appointment_booked": _("预约"),
    "cases.appointment_cancelled": _("取消预约"),
    "cases.appointment_arrived": _("到场取号"),
    "cases.webhook_subscribed": _("新增状态推送订阅"),
    "cases.material_removed": _("删除申请材料"),
    "cases.draft_discarded": _("删除草稿"),
    "cases.bundle_decided": _("一件事全部办结"),
    "cases.payment_refund_requested": _("申请退款"),
    "cases.provider_callback_rejected": _("拒绝未通过验证的支付/物流回调"),
    "cases.result_document_generated": _("生成决定书"),
    "cases.result_picked_up": _("窗口领取结果"),
    "cases.shipment_failed": _("邮寄下单失败"),
    "cases.rectification_opened": _("差评转整改工单"),
    "cases.rectification_callback": _("整改回访"),
    "cases.follow_up_rated": _("整改后回访评价"),
    "cases.hall_saved": _("保存服务大厅"),
    "cases.window_saved": _("保存服务窗口"),
    "cases.slots_generated": _("生成预约时段"),
    "cases.appointment_reminded": _("发送预约提醒"),
    "cases.webhook_unsubscribed": _("停用状态推送订阅"),
    "cases.delivery_chosen": _("选择结果送达方式"),
    "cases.bundle_defined": _("设置“一件事”"),
}


class CasesConfig(AppConfig):
    name = "zhengwu.cases"
    label = "cases"
    verbose_name = "办件"

    def ready(self) -> None:
        from zhengwu.core.audit import register_event_labels

        register_event_labels(EVENT_LABELS)

        from zhengwu.identity.facade import register_personal_data_rule

        from .selectors import reviewer_handles_person

        register_personal_data_rule(reviewer_handles_person)
