"""The audit trail in plain Japanese: one table from every action code to a phrase, the outcomes
and roles, the targets, and the details as readable fields (never an individual number or a PIN).

Two kinds of code are labelled here: the staff actions of the audit log (``audit_log.action``:
the permissions of ``web.deps.roles``, sign-in, CLI commands, registered verifiers) and the
workflow steps of the event log (``events.action``, ``Work.log``).
``tests/audit/test_action_labels.py`` checks that every code the code base logs has a label.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mynacard.timeutil import JST

#: Every action code -> what it means, in the words of the window.
ACTION_JA: dict[str, str] = {
    # --- staff actions (audit log): the permissions a request acts under
    "resident.read": "住民情報の閲覧・検索",
    "resident.register": "住民の登録",
    "resident.number_read": "個人番号の確認(利用目的つき)",
    "card.read": "カード情報の閲覧",
    "card.apply": "交付申請の受付・取下げ",
    "card.make": "カードの作成(J-LIS)",
    "card.issue": "カードの交付",
    "card.face": "券面事項の変更(転居・転入・氏名変更・継続利用)",
    "card.loss": "紛失・盗難の届出",
    "card.found": "カード発見による一時停止の解除",
    "card.return": "カードの返納",
    "card.revoke_held": "一時保留中の電子証明書の失効",
    "card.admin_error": "市区町村・J-LISの誤りの記録",
    "card.pin_try": "カードへの暗証番号の入力",
    "number.change": "個人番号の変更",
    "cert.manage": "電子証明書の発行・更新・失効",
    "pin.reset": "暗証番号の再設定",
    "pin.read": "暗証番号の状態の確認",
    "hotline.suspend": "コールセンターでのカード一時停止",
    "batch.run": "日次処理の実行",
    "notice.print": "有効期限通知書の印刷待ちの確認",
    "notice.printed": "有効期限通知書を印刷済みに記録",
    "document.read": "帳票の出力",
    "audit.read": "監査ログの閲覧",
    "admin.accounts": "職員アカウントの管理",
    "admin.clock": "システム時刻の設定",
    "admin.municipality": "市区町村の登録",
    "admin.relying_parties": "署名検証者の登録",
    "ca.ceremony": "認証局の鍵生成(鍵儀式)",
    "store.backup": "データベースのバックアップ",
    "store.restore": "データベースの復元",
    "login": "ログイン",
    "logout": "ログアウト",
    "csrf": "不正な送信の拒否(CSRF)",
    "request": "処理中の予期しないエラー",
    "unknown": "権限のない操作",
    # registered verifiers (署名検証者)
    "rp.verify": "署名検証者による署名の検証",
    "rp.status": "署名検証者による失効確認",
    "rp.linkage": "署名検証者による紐付け",
    "rp.attributes": "署名検証者による基本4情報の取得",
    "rp.consent": "署名検証者による本人同意の登録",
    "rp.consents": "署名検証者による本人同意の登録",
    "rp.notifications": "署名検証者による失効通知の取得",
    "rp.notify": "署名検証者への失効通知",
    "rp.webhook": "署名検証者の通知先の設定",
    # --- workflow steps (event log)
    "municipality_added": "市区町村を登録",
    "municipality_settings_changed": "市区町村の設定を変更",
    "resident_registered": "住民を登録",
    "number_read": "個人番号を確認",
    "number_changed": "個人番号を変更",
    "moving_out_filed": "転出届を受付",
    "attributes_changed": "基本4情報を変更",
    "notes_full": "追記欄に余白なし",
    "continued_use": "継続利用の手続き",
    "card_applied": "交付申請を受付",
    "card_made": "カードを作成",
    "card_issued": "カードを交付",
    "card_suspended": "カードを一時停止",
    "card_found": "一時停止を解除(カード発見)",
    "card_extended": "在留期間の延長によりカードの有効期限を延長",
    "card_expired": "カードの有効期限切れ",
    "card_returned": "カードを返納",
    "card_lapsed": "カードが失効",
    "card_reissued": "再交付・更新により旧カードに",
    "card_cancelled": "交付申請の取下げ",
    "application_cancelled": "交付申請を取下げ",
    "loss_reported": "紛失・盗難の届出を受付",
    "certificate_issued": "電子証明書を発行",
    "certificate_renewed": "電子証明書を更新",
    "certificate_revoked": "電子証明書を失効",
    "certificate_held": "電子証明書を一時保留",
    "certificate_released": "電子証明書の一時保留を解除",
    "expiry_notice": "有効期限通知書を作成",
    "document_reprinted": "帳票を再発行",
    "pin_reset": "暗証番号を再設定",
    "pin_self_reset": "暗証番号を本人が再設定(コンビニ等)",
    "pin_changed": "暗証番号を変更",
    "admin_error_recorded": "市区町村・J-LISの誤りを記録",
    "moved_in_from_abroad_recorded": "国外からの転入を記録",
    "kiosk_issued": "コンビニ交付で証明書を発行",
    "kiosk_refused": "コンビニ交付を拒否",
    "portal_viewed": "マイナポータルで閲覧",
    "holder_consent_given": "本人が情報提供に同意",
    "holder_consent_withdrawn": "本人が同意を撤回",
    "relying_party_registered": "署名検証者を登録",
    "login_client_registered": "ログイン連携先を登録",
    "login_started": "カードによるログインを開始",
    "login_approved": "カードによるログインを本人が承認",
    "login_refused": "カードによるログインを拒否",
    "login_code_replayed": "ログインの認可コードの再使用を拒否",
    "login_tokens_issued": "ログインのトークンを発行",
    "sign_transaction_started": "署名の依頼を開始",
    "ca_created": "認証局を作成",
    "tsa_created": "タイムスタンプ局を作成",
    "ocsp_responder_issued": "OCSP応答者の証明書を発行",
    "exported": "証明書と失効リストを書き出し",
    "demo_started": "デモデータを作成",
    "bulk_load": "試験用データを一括作成",
    "certificate_added": "電子証明書を追加発行",
    "cli.import": "コマンド操作(住民の一括登録: import)",
}

#: The first words of a CLI command (``cli.<group>.<command>``) in Japanese.
_CLI_GROUP_JA = {
    "resident": "住民", "card": "カード", "cert": "電子証明書", "pin": "暗証番号", "ca": "認証局",
    "admin": "管理", "municipality": "市区町村", "batch": "日次処理", "backup": "バックアップ",
    "audit": "監査ログ", "events": "記録", "renewals": "更新対象", "kiosk": "コンビニ交付",
    "login": "ログイン", "vcard": "仮想カード", "verify": "検証", "demo": "デモ",
    "import": "住民の一括登録", "ocsp": "OCSP", "bulk-load": "試験用データ",
}

OUTCOME_JA = {"ok": "成功", "denied": "拒否", "error": "エラー", "throttled": "回数制限で拒否"}

#: Roles that are not staff roles of ``web.deps.roles.ROLE_JA``.
OTHER_ROLES_JA = {"cli": "コマンド操作", "card": "カード", "relying_party": "署名検証者", "-": "(未ログイン)"}


def action_label(code: str) -> str:
    """The phrase for an action code; a CLI command reads as its group and words; an unknown code
    is shown as itself, marked as such, never hidden."""
    if code in ACTION_JA:
        return ACTION_JA[code]
    if code.startswith("cli."):
        words = code.split(".")[1:]
        group = _CLI_GROUP_JA.get(words[0], words[0]) if words else ""
        return f"コマンド操作({group}: {' '.join(words)})"
    return f"その他の操作({code})"


#: Detail keys -> their names on screen. Keys not listed are shown under their own name.
DETAIL_JA = {
    "purpose": "利用目的",
    "card": "カードID",
    "card_id": "カードID",
    "reason": "理由",
    "code": "エラーの種類",
    "role_given": "付与した役割",
    "set_to": "設定した時刻",
    "verdict": "検証結果",
    "count": "件数",
    "sw": "カードの応答",
    "kind": "種類",
    "reference": "受付番号",
    "caller": "連絡者",
    "channel": "受付経路",
    "police_report": "遺失届の受理番号",
    "policy": "発見時の扱い",
    "what": "変更した項目",
    "record": "記録番号",
    "occurred_on": "発生日",
    "municipality": "市区町村",
    "name": "名称",
    "certificates": "電子証明書",
    "address": "接続元",
    "documents": "本人確認書類",
    "fee": "手数料(円)",
    "rows": "出力件数",
    "retry_after": "再試行までの秒数",
    "holds": "一時保留",
}

#: Never shown, whatever a caller put in the details: secrets and the individual number.
_SECRET_KEY = re.compile(r"pin|password|passwd|secret|token|individual_number|number$|my_?number", re.IGNORECASE)
_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
HIDDEN = "(表示しません)"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "はい" if v else "いいえ"
    if v is None or v == "":
        return "-"
    return _TWELVE_DIGITS.sub("************", str(v))


def detail_fields(
    details: dict[str, Any] | None, values_ja: dict[str, dict[str, str]] | None = None
) -> list[tuple[str, str]]:
    """The details of an entry as (label, value) pairs for people: a PIN, a password or an
    individual number is never shown (a key that names one is hidden, and any 12-digit run in a
    value is masked). ``values_ja`` names the values of some keys in Japanese (``purpose``:
    tax -> 税); a comma-separated value is named part by part."""
    out: list[tuple[str, str]] = []
    for k, v in (details or {}).items():
        label = DETAIL_JA.get(k, k)
        if _SECRET_KEY.search(k):
            out.append((label, HIDDEN))
            continue
        names = (values_ja or {}).get(k)
        if names and isinstance(v, str) and v:
            v = "、".join(names.get(part, part) for part in v.split(","))
        out.append((label, _value(v)))
    return out


def target_label(target: str) -> str:
    """``resident:12`` -> 住民ID 12, ``card:0A1B…`` -> カードID 0A1B…, ``search`` -> 住民検索."""
    kind, sep, rest = target.partition(":")
    names = {"resident": "住民ID", "card": "カードID", "cert": "証明書", "account": "職員", "ca": "認証局",
             "municipality": "市区町村"}
    if sep and kind in names:
        return f"{names[kind]} {_value(rest)}"
    return {"search": "住民検索", "audit": "監査ログ", "renewals": "更新対象の一覧", "hotline": "コールセンター",
            "clock": "システム時刻", "": "-"}.get(target, _value(target))


def jst(at: datetime) -> str:
    """An instant in Japan time with its zone named: 2026-11-28 11:00:00 JST."""
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")
