import pytest

from fangxian.people.documents import check_char


def resident_id(first17: str) -> str:
    return first17 + check_char(first17)


PUSH_HEADER = ["序号", "姓名", "公民身份号码", "联系电话", "现居住地址", "推送原因", "风险地区", "离开风险地区时间"]


@pytest.fixture
def pushed_rows(world):
    """A list as the city sends it: a title row, a header, data, a blank line and a signature footer."""
    return [
        ["惠济区涉疫风险人员信息推送表（2022年11月10日）"],
        PUSH_HEADER,
        [1, "新城甲", world["alice"].doc_number, "13812345678", "郑州市惠济区新城街道金河社区1号楼", "密接", "", ""],
        [2, "王五", resident_id("41010819800101001"), "13700000001", "惠济区刘寨街道银湾社区3号楼", "次密接", "", ""],
        [
            3,
            "赵六",
            resident_id("41010819920202002"),
            "13700000002",
            "北京市朝阳区某小区",
            "中风险区来返",
            "上海市浦东新区",
            "2022-11-08 10:00",
        ],
        [None, None, None, None, None, None, None, None],
        ["制表人：张三", None, None, None, None, None, None, None],
    ]
