"""Loading synthetic residents, cards and certificates at national scale (``mynacard bulk-load``)."""
