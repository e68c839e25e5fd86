"""Greetings and sign-offs are stripped the same way for a customer and a team member, in
English, German and Chinese; the demo's own threads leave no sign-off in a quote."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from supportmail.storage.demo.generator import demo_messages
from supportmail.storage.insight.paragraphs import customer_paragraph, customer_paragraphs
from supportmail.storage.insight.people import Team
from supportmail.storage.mime.body import parse_body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # the pair: a team sign-off and a customer's, both stripped
        ("Hi Farah,\n\nThe fix is live.\n\nAll the best,\nJonas\n", ["The fix is live."]),
        ("Hi Jonas,\n\nIt works now.\n\nThanks,\nFarah\n", ["It works now."]),
        ("Hello,\n\nExport fails.\n\nAll the best, Jonas\n", ["Export fails."]),
        ("Export fails.\n\nBest wishes\nAnna Schmidt\n", ["Export fails."]),
        ("Export fails.\n\nTake care,\nSam\n", ["Export fails."]),
        ("Export fails.\n\nThanks so much!\n", ["Export fails."]),
        ("Export fails.\n\n- Anna\n", ["Export fails."]),
        ("Export fails.\n\nDmitri\n", ["Export fails."]),
        # content that starts with a closing word stays
        ("Thanks, that worked.\n", ["Thanks, that worked."]),
        (
            "All the best features are missing on mobile.\n",
            ["All the best features are missing on mobile."],
        ),
        # German
        ("Hallo zusammen,\n\nDer Export hängt.\n\nViele Grüße\nJörg\n", ["Der Export hängt."]),
        (
            "Guten Tag Frau Weber,\n\nDer Fehler ist behoben.\n\nBeste Grüße\n",
            ["Der Fehler ist behoben."],
        ),
        ("Der Export hängt.\n\nMit freundlichen Grüßen\nAnna Schmidt\n", ["Der Export hängt."]),
        ("Der Export hängt.\n\nLG Jörg\n", ["Der Export hängt."]),
        ("Der Export hängt.\n\nVielen Dank vorab!\nJörg\n", ["Der Export hängt."]),
        ("Der Export hängt.\n\nHerzliche Grüße aus Köln\n", ["Der Export hängt."]),
        ("Danke, das hat funktioniert.\n", ["Danke, das hat funktioniert."]),
        # Chinese
        ("你好，\n\n导出失败了。\n\n谢谢！\n张伟\n", ["导出失败了。"]),
        ("张伟，您好：\n\n问题已经修复。\n\n祝工作顺利\n王芳\n", ["问题已经修复。"]),
        ("导出失败了。\n\n期待回复，谢谢！\n曹思远\n", ["导出失败了。"]),
        ("导出失败了。\n\n此致\n敬礼\n林浩然\n", ["导出失败了。"]),
        ("导出失败了。\n\n祝好 张伟\n", ["导出失败了。"]),
        ("导出失败了。\n\n张伟\n", ["导出失败了。"]),
        ("谢谢您的帮助，问题已经解决了。\n", ["谢谢您的帮助，问题已经解决了。"]),
        ("谢谢，问题已经解决了。\n", ["谢谢，问题已经解决了。"]),
    ],
)
def test_greetings_and_signoffs_are_stripped_for_everyone(body: str, expected: list[str]) -> None:
    assert customer_paragraphs(body) == expected


def test_the_demo_leaves_no_signoff_in_any_paragraph() -> None:
    """Every message of the demo (customers' and the team's): no paragraph is a sign-off with
    the sender's own name, and every customer's opening message has a paragraph."""
    team = Team.from_addresses(["support@plotline.example"])
    leaked: list[str] = []
    customers = 0
    for message in demo_messages(datetime(2026, 6, 1, 12, tzinfo=UTC)):
        header = email.message_from_bytes(message.raw, policy=email.policy.default)
        sender = header["From"].addresses[0]
        first_name = (sender.display_name or "").split()[:1]
        paragraphs = customer_paragraphs(parse_body(message.raw).text)
        for paragraph in paragraphs:
            if first_name and first_name[0] in paragraph and len(paragraph) < 60:
                leaked.append(paragraph)
        if not team.includes(sender.addr_spec) and customer_paragraph(parse_body(message.raw).text):
            customers += 1
    assert leaked == []
    assert customers > 300
